"""Command line for manual debugging: dial a gateway as a Windows build, print each exchange.

    ip netns exec <client-ns> python -m emulator --profile win10-22h2 --server 192.0.2.1 \\
        --ca ca.pem --machine-cert client.pem --machine-key client.key \\
        --registry NegotiateDH2048_AES256=2 --encryption-level Maximum --ping 198.19.1.1

Runs in the current network namespace (use `ip netns exec`, or --namespace NAME). Every
log line (configuration, each message in strongSwan's notation, each packet) is printed
as it happens; the exit status is 0 when connected, 1 with the Windows error otherwise.
Private keys are read, never printed.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from emulator.machine.client import EmulatedClient
from emulator.profiles import available_profiles
from infra.auth_cases import AuthCase
from infra.clients.protocol import EncryptionLevel, IPsecConfiguration, VpnProfile

CONNECTION = "emulator"
_POLICY_KEYS = {
    "auth": "authentication_transform_constants",
    "cipher": "cipher_transform_constants",
    "dh": "dh_group",
    "encryption": "encryption_method",
    "integrity": "integrity_check_method",
    "pfs": "pfs_group",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m emulator",
        description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument("--profile", required=True, choices=available_profiles())
    parser.add_argument("--server", required=True, help="gateway address (as -ServerAddress)")
    parser.add_argument("--ca", action="append", default=[], type=Path, help="trusted root (PEM)")
    parser.add_argument("--machine-cert", type=Path, help="machine certificate (PEM)")
    parser.add_argument("--machine-key", type=Path, help="its private key (PEM, unencrypted)")
    parser.add_argument(
        "--registry", action="append", default=[], metavar="NAME=VALUE", help="RasMan DWORD"
    )
    parser.add_argument(
        "--encryption-level",
        default=EncryptionLevel.REQUIRED.value,
        choices=[level.value for level in EncryptionLevel],
    )
    parser.add_argument("--split-tunneling", action="store_true")
    parser.add_argument(
        "--ipsec-policy",
        metavar="auth=..,cipher=..,dh=..,encryption=..,integrity=..,pfs=..",
        help="Set-VpnConnectionIPsecConfiguration's six values (cmdlet spellings)",
    )
    parser.add_argument("--namespace", help="network namespace to dial from (default: current)")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("--ping", metavar="ADDRESS", help="ping through the tunnel once up")
    parser.add_argument(
        "--hold", type=float, default=0.0, help="stay connected this many seconds (Ctrl-C ends)"
    )
    parser.add_argument("--keys", type=Path, help="write the ikev2_decryption_table rows here")
    return parser


def _policy(text: str) -> IPsecConfiguration:
    values = dict(item.split("=", 1) for item in text.split(",") if item)
    unknown = set(values) - set(_POLICY_KEYS)
    missing = set(_POLICY_KEYS) - set(values)
    if unknown or missing:
        raise SystemExit(f"--ipsec-policy: unknown {sorted(unknown)}, missing {sorted(missing)}")
    return IPsecConfiguration(**{_POLICY_KEYS[k]: v for k, v in values.items()})


def _key(path: Path) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SystemExit(f"{path}: only RSA and ECDSA machine keys are supported")
    return key


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    client = EmulatedClient(
        args.profile, namespace=args.namespace, time_scale=args.time_scale, echo=print
    )
    for path in args.ca:
        client.trust_root(x509.load_pem_x509_certificate(path.read_bytes()))
    if args.machine_cert:
        key = _key(args.machine_key) if args.machine_key else None
        client.import_machine_certificate(
            x509.load_pem_x509_certificate(args.machine_cert.read_bytes()), key
        )
    for item in args.registry:
        name, _, value = item.partition("=")
        client.set_registry_value(name, int(value, 0))
    client.add_vpn_connection(
        VpnProfile(
            CONNECTION,
            args.server,
            AuthCase.MACHINE_CERT,
            encryption_level=EncryptionLevel(args.encryption_level),
            split_tunneling=args.split_tunneling,
        )
    )
    if args.ipsec_policy:
        client.set_ipsec_configuration(CONNECTION, _policy(args.ipsec_policy))
    try:
        outcome = client.connect(CONNECTION, timeout=args.timeout)
        print(outcome.describe())
        if outcome.connected:
            if args.ping:
                print(f"ping {args.ping}: {'answered' if client.reach(args.ping) else 'no answer'}")
            if args.hold > 0:
                stop = threading.Event()
                signal.signal(signal.SIGINT, lambda *_: stop.set())
                stop.wait(args.hold)
            client.disconnect(CONNECTION)
        if args.keys:
            args.keys.write_text("".join(row + "\n" for row in client.decryption_table_rows()))
        return 0 if outcome.connected else 1
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
