"""infra.gateway package."""
