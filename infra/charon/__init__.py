"""Running strongSwan charon instances (gateway and reference client) in lab namespaces."""
