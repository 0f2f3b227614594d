"""Command line for manual debugging: dial a gateway as a Windows build, print each exchange.

    ip netns exec <client-ns> python -m emulator --profile win10-22h2 --server 192.0.2.1 \\
        --ca ca.pem --machine-cert client.pem --machine-key client.key \\
        --registry NegotiateDH2048_AES256=2 --encryption-level Maximum --ping 198.19.1.1
    WINTEROP_EAP_PASSWORD=... python -m emulator --profile win11-23h2 --server 192.0.2.1 \\
        --ca ca.pem --auth eap-mschapv2 --user alice [--domain DOMAIN]
    python -m emulator ... --auth eap-tls --user-cert alice.pem --user-key alice.key

Runs in the current network namespace (use `ip netns exec`, or --namespace NAME). Every
log line (configuration, each message in strongSwan's notation, each packet) is printed
as it happens; the exit status is 0 when connected, 1 with the Windows error otherwise.
Private keys and the EAP password (taken from the environment, never from the command
line, where every process could read it) are never printed.
"""

from __future__ import annotations

import argparse
import os
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
from infra.clients.protocol import Credentials, EncryptionLevel, IPsecConfiguration, VpnProfile

CONNECTION = "emulator"
PASSWORD_ENV = "WINTEROP_EAP_PASSWORD"
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
        "--auth",
        default=AuthCase.MACHINE_CERT.value,
        choices=[case.value for case in AuthCase],
        help="authentication case (Add-VpnConnection -AuthenticationMethod)",
    )
    parser.add_argument("--user-cert", type=Path, help="EAP-TLS user certificate (PEM)")
    parser.add_argument("--user-key", type=Path, help="its private key (PEM, unencrypted)")
    parser.add_argument("--user", help="EAP-MSCHAPv2 user name (password: $" + PASSWORD_ENV + ")")
    parser.add_argument("--domain", help="EAP-MSCHAPv2 domain (sent as DOMAIN\\user)")
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
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="Windows seconds per real second for the lifecycle timers (CHILD rekey at "
        "3526 s, IKE rekey, idle delete, liveness); retransmissions stay in real time",
    )
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


def _credentials(args: argparse.Namespace) -> Credentials | None:
    """rasdial's user/password/domain; the password comes from the environment."""
    if args.user is None:
        return None
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        raise SystemExit(f"--user {args.user}: set the password in ${PASSWORD_ENV}")
    return Credentials(args.user, password, args.domain)


def _key(path: Path) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise SystemExit(f"{path}: only RSA and ECDSA keys are supported")
    return key


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    client = EmulatedClient(
        args.profile,
        namespace=args.namespace,
        time_scale=args.time_scale,
        retransmit_scale=1.0,
        echo=print,
    )
    for path in args.ca:
        client.trust_root(x509.load_pem_x509_certificate(path.read_bytes()))
    if args.machine_cert:
        key = _key(args.machine_key) if args.machine_key else None
        client.import_machine_certificate(
            x509.load_pem_x509_certificate(args.machine_cert.read_bytes()), key
        )
    if args.user_cert:
        key = _key(args.user_key) if args.user_key else None
        client.import_user_certificate(
            x509.load_pem_x509_certificate(args.user_cert.read_bytes()), key
        )
    for item in args.registry:
        name, _, value = item.partition("=")
        client.set_registry_value(name, int(value, 0))
    client.add_vpn_connection(
        VpnProfile(
            CONNECTION,
            args.server,
            AuthCase(args.auth),
            encryption_level=EncryptionLevel(args.encryption_level),
            split_tunneling=args.split_tunneling,
        )
    )
    if args.ipsec_policy:
        client.set_ipsec_configuration(CONNECTION, _policy(args.ipsec_policy))
    try:
        outcome = client.connect(CONNECTION, _credentials(args), timeout=args.timeout)
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
