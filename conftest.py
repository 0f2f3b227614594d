"""winterop's pytest plugin: thin fixture modules over the infra library."""

pytest_plugins = [
    "fixtures.options",
    "fixtures.lab",
    "fixtures.clients",
    "fixtures.evidence",
    "fixtures.interop",
]
