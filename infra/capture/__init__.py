"""infra.capture package."""
