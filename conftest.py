"""winterop's pytest plugin: thin fixture modules over the infra library."""

pytest_plugins = [
    "fixtures.options",
    "fixtures.lab",
    "fixtures.clients",
    "fixtures.gateways",
    "fixtures.expectations",
    "fixtures.evidence",
    "fixtures.results",
    "fixtures.interop",
    "fixtures.lifecycle",
    "fixtures.shard",
]
