"""winterop's library: lab namespaces, strongSwan gateways, PKI, capture and client kinds."""
