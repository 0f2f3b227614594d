"""infra.pki package."""
