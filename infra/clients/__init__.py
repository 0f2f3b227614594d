"""infra.clients package."""
