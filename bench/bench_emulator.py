"""Emulator vs reference client: connect time against the same gateway in one run.

Run as root: `.venv/bin/python -m bench.bench_emulator [--rounds 20] [--profile win10-22h2]
[--case machine-cert|eap-mschapv2|eap-tls] [--topology direct|nat]`.
One lab and one docs-recommended gateway for the auth case for the whole run; each round
connects, hangs up and closes the reference client (strongSwan's charon) and the emulated
Windows client (set up as the docs say: NegotiateDH2048_AES256 = 2, Maximum strength
encryption), alternating which goes first. EAP-MSCHAPv2 dials with the run's user and a
random password; EAP-TLS with the lab user certificate. "Connect" is what each client
reports: from dialling until the IKE SA and the CHILD SA are up (for the emulator that
includes creating and configuring its TUN interface, which charon's kernel-libipsec does
once at start-up). Prints medians, p90 and the median ratio against the case's target;
no assertion: the result is recorded in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import statistics
import time

from emulator.machine.client import EmulatedClient
from infra.auth_cases import AuthCase
from infra.client_setup import client_setup
from infra.clients.protocol import ConnectOutcome, Credentials, VpnProfile, WindowsClient
from infra.clients.reference import ReferenceClient
from infra.gateway.gateway import Gateway
from infra.gateway.presets import PRESETS
from infra.gateway.spec import EapSecret
from infra.lab.lab import Lab
from infra.lab.ownership import OwnerRecord
from infra.lab.topology import Role, TopologyKind
from infra.pki.lab_pki import LabPki

PRESET = "docs-recommended"
CONNECTION = "bench"
TARGET_RATIO = {
    AuthCase.MACHINE_CERT: 1.5,  # issue 3
    AuthCase.EAP_MSCHAPV2: 1.5,  # issue 4
    AuthCase.EAP_TLS: 2.0,  # issue 4
}
EAP_USER = "alice"


def median_p90(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(0.9 * (len(ordered) - 1))]


def dial(
    client: WindowsClient,
    lab: Lab,
    pki: LabPki,
    case: AuthCase,
    credentials: Credentials,
    *,
    windows: bool,
) -> ConnectOutcome:
    for root in pki.trusted_roots:
        client.install_root_ca(root)
    if case is AuthCase.MACHINE_CERT:
        client.install_machine_certificate(pki.machine())
    elif case is AuthCase.EAP_TLS:
        client.install_user_certificate(pki.user())
    setup = client_setup(PRESET)
    if windows:
        for name, value in setup.registry:
            client.set_registry_value(name, value)
    client.add_vpn_connection(
        VpnProfile(
            CONNECTION,
            str(lab.plan.gateway_outside),
            case,
            encryption_level=setup.encryption_level,
        )
    )
    password_case = case is AuthCase.EAP_MSCHAPV2
    outcome = client.connect(CONNECTION, credentials if password_case else None, timeout=10)
    if not outcome.connected:
        raise SystemExit(f"{client.kind}: {outcome.describe()}")
    client.disconnect(CONNECTION)
    return outcome


def wait_until_no_sa(gateway: Gateway, timeout: float = 5.0) -> None:
    """The next client must find a clean gateway: poll list-sas with a deadline."""
    deadline = time.monotonic() + timeout
    while gateway.list_sas():
        if time.monotonic() > deadline:
            raise SystemExit(f"gateway still holds {gateway.list_sas()} after {timeout} s")
        time.sleep(0.005)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--profile", default="win10-22h2")
    parser.add_argument("--topology", default="direct", choices=[t.value for t in TopologyKind])
    parser.add_argument(
        "--case", default=AuthCase.MACHINE_CERT.value, choices=[c.value for c in AuthCase]
    )
    args = parser.parse_args()
    case = AuthCase(args.case)
    credentials = Credentials(EAP_USER, secrets.token_urlsafe(12))
    eap_secrets = (EapSecret(credentials.user, credentials.password),)
    record = OwnerRecord.create(f"bench{os.getpid()}-pki")
    samples: dict[str, list[float]] = {"reference": [], "emulated": []}
    try:
        pki = LabPki.load_or_create(record.workdir / "pki")
        with Lab.up(TopologyKind(args.topology), f"bench{os.getpid()}", "emu") as lab:
            gateway = Gateway(
                lab,
                PRESETS[PRESET](case, eap_secrets),
                certificate=pki.gateway(),
                ca=pki.root_ca,
            )
            gateway.start()
            try:
                for round_number in range(args.rounds):
                    order = ["reference", "emulated"]
                    if round_number % 2:
                        order.reverse()
                    for kind in order:
                        client: WindowsClient
                        if kind == "reference":
                            client = ReferenceClient(lab)
                        else:
                            client = EmulatedClient(args.profile, namespace=lab.ns(Role.CLIENT))
                        try:
                            outcome = dial(
                                client, lab, pki, case, credentials, windows=kind == "emulated"
                            )
                        finally:
                            client.close()
                        samples[kind].append(outcome.seconds * 1000)
                        wait_until_no_sa(gateway)
            finally:
                gateway.stop()
    finally:
        shutil.rmtree(record.workdir, ignore_errors=True)
    print(
        f"{args.rounds} connects per client, {case.value} (case {case.letter}), {PRESET} "
        "gateway, topology "
        f"{args.topology}, emulated profile {args.profile}"
    )
    print(f"{'client':12} {'median ms':>10} {'p90 ms':>9}")
    medians = {}
    for kind, values in samples.items():
        median, p90 = median_p90(values)
        medians[kind] = median
        print(f"{kind:12} {median:10.1f} {p90:9.1f}")
    ratio = medians["emulated"] / medians["reference"]
    print(f"median ratio emulated / reference: {ratio:.2f} (target <= {TARGET_RATIO[case]})")


if __name__ == "__main__":
    main()
