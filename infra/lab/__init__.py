"""infra.lab package."""
