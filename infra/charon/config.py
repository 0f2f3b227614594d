"""The per-instance strongswan.conf of a charon in a lab namespace.

Why each line (see the lab reference, section 3.2):
- `load_modular = no` + an explicit `load`: no instance reads /etc/ipsec.*, /etc/swanctl or
  rewrites the host resolver (Debian's modular config would load `resolve`, stroke, tpm).
- kernel-libipsec before kernel-netlink: the kernel has XFRM but no ESP, so ESP runs in
  userspace over a TUN device; with netlink first the CHILD SA fails with errno 38.
- kdf: required by 5.9.8 for every PRF-based key derivation.
- openssl with the legacy provider: MD4 for EAP-MSCHAPv2.
- filelog with `ike = 4` and `mgr = 2`: the SK_* secrets and the SPI lines the key-table
  parser (infra.capture.keys) turns into Wireshark's ikev2_decryption_table.
What differs between strongSwan releases (plugin list, option names) comes from
infra.gateway.releases, for the VERSION of the charon that reads the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from infra.gateway.releases import Version, filelog_milliseconds, plugins

PLUGINS = (
    "random nonce openssl kdf pem pkcs1 pkcs8 x509 revocation constraints pubkey "
    "kernel-libipsec kernel-netlink socket-default vici attr "
    "eap-identity eap-mschapv2 eap-tls"
)


@dataclass(frozen=True)
class CharonPaths:
    """The files of one charon instance, all inside its lab's work directory."""

    directory: Path

    @property
    def conf(self) -> Path:
        return self.directory / "strongswan.conf"

    @property
    def vici_socket(self) -> Path:
        return self.directory / "charon.vici"

    @property
    def log(self) -> Path:
        return self.directory / "charon.log"

    @property
    def stderr(self) -> Path:
        return self.directory / "charon.stderr"


def strongswan_conf(
    paths: CharonPaths,
    version: Version,
    *,
    fragment_size: int | None = None,
    send_vendor_id: bool = False,
    retransmit_tries: int | None = None,
) -> str:
    """The strongswan.conf text for one instance of charon VERSION (charon-systemd falls
    back to `charon` settings).

    RETRANSMIT_TRIES shortens a client's give-up time so a dead peer fails a test in seconds
    (charon's default of 5 tries takes about 165 s); None keeps charon's default.
    """
    fragment = f"  fragment_size = {fragment_size}\n" if fragment_size is not None else ""
    vendor = "  send_vendor_id = yes\n" if send_vendor_id else ""
    retransmit = (
        f"  retransmit_tries = {retransmit_tries}\n  retransmit_timeout = 1.0\n"
        if retransmit_tries is not None
        else ""
    )
    return f"""charon {{
  load_modular = no
  load = {plugins(PLUGINS, version)}
  install_routes = yes
  install_virtual_ip = yes
{fragment}{vendor}{retransmit}  plugins {{
    vici {{
      socket = unix://{paths.vici_socket}
    }}
    openssl {{
      load_legacy = yes
    }}
  }}
  filelog {{
    main {{
      path = {paths.log}
      time_format = %H:%M:%S
      {filelog_milliseconds(version)}
      ike_name = yes
      append = no
      flush_line = yes
      default = 1
      ike = 4
      chd = 4
      mgr = 2
      cfg = 2
      knl = 2
      enc = 1
      net = 2
      asn = 0
      lib = 1
      job = 1
    }}
  }}
}}
"""
