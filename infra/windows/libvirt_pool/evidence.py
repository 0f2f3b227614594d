"""Host-side evidence of a VM, collected before it is thrown away.

A transient domain and its overlay are gone after discard, so whatever explains a failure
must be saved first (windows-driving.md 13: "collect logs before tearing down a VM"): a
screenshot of the console (a stuck OOBE page or a BSOD explains more than any log), the
live domain XML, state, what every address source reports, the pool's own timeline, and
the guest's logs through a caller-supplied collector (the transport layer's
collect_logs). Each item is best effort: a failing one writes its reason into
vm-evidence-errors.txt and the rest are still collected.

File names start with `vm-` so they sit next to the test's other evidence (capture.pcap,
client.log, ...) in evidence/<test-id>/ without clashing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from infra.windows.libvirt_pool.errors import PoolError
from infra.windows.libvirt_pool.virt import AddressSource, Domain

GuestLogCollector = Callable[[], Mapping[str, bytes]]
_EXTENSIONS = {"image/png": "png", "image/x-portable-pixmap": "ppm"}


def collect_evidence(
    domain: Domain,
    dest: Path,
    *,
    timeline: Sequence[str] = (),
    guest_logs: GuestLogCollector | None = None,
    screenshot: bool = True,
) -> list[Path]:
    """Write what can be learned about DOMAIN into DEST; return the files written.

    SCREENSHOT False leaves out the console image (QEMU sends an uncompressed PPM of some
    megabytes: worth it for a VM in trouble, not for every passing test)."""
    dest.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    errors: list[str] = []

    def save(name: str, data: bytes | str) -> None:
        path = dest / name
        if isinstance(data, str):
            path.write_text(data)
        else:
            path.write_bytes(data)
        written.append(path)

    def attempt(what: str, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as exc:  # evidence is best effort: never mask the test's failure
            errors.append(f"{what}: {type(exc).__name__}: {exc}")

    def take_screenshot() -> None:
        mime, data = domain.screenshot()
        save(f"vm-screenshot.{_EXTENSIONS.get(mime, 'bin')}", data)

    def state() -> None:
        code, reason = domain.state()
        save("vm-state.json", json.dumps({"domain": domain.name, "state": code, "reason": reason}))

    def addresses() -> None:
        report: dict[str, object] = {}
        for source in AddressSource:
            try:
                report[source.label] = [
                    {"name": i.name, "hwaddr": i.hwaddr, "addresses": [str(a) for a in i.addresses]}
                    for i in domain.interface_addresses(source)
                ]
            except PoolError as exc:
                report[source.label] = f"error: {exc}"
        save("vm-addresses.json", json.dumps(report, indent=1))

    def guest() -> None:
        assert guest_logs is not None
        for name, data in guest_logs().items():
            save(f"vm-guest-{Path(name).name}", data)

    attempt("domain XML", lambda: save("vm-domain.xml", domain.xml()))
    if screenshot:
        attempt("screenshot", take_screenshot)
    attempt("state", state)
    attempt("addresses", addresses)
    if guest_logs is not None:
        attempt("guest logs", guest)
    if timeline:
        save("vm-timeline.log", "\n".join(timeline) + "\n")
    if errors:
        save("vm-evidence-errors.txt", "\n".join(errors) + "\n")
    return written
