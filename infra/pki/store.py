"""The on-disk form of a lab set: PEM files, a JSON index, a lock.

The index is written last and lists a SHA-256 of every file, so it acts as the commit
marker: a set that was interrupted mid-write, or whose files were edited, has no valid index
and is regenerated. Every file is written to a temporary name and renamed, so a reader never
sees half a file. All of this happens under an flock on a file inside the directory, which
serialises xdist workers (and separate pytest runs) sharing one cache directory.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

from infra.pki.errors import PkiError
from infra.pki.keys import KeyType
from infra.pki.material import PkiMaterial
from infra.pki.parameters import LabPkiParameters

FORMAT_VERSION = 1
INDEX_FILE = "index.json"
LOCK_FILE = ".lock"
MAX_SET_AGE = timedelta(days=30)
"""A persistent cache older than this is regenerated, long before its leaves (365 days)
expire; the gateway-expired variant stays expired whatever the age."""
_CLOCK_TOLERANCE = timedelta(hours=12)
LOCK_TIMEOUT_S = 120.0
"""Generation takes about a second; two minutes means the holder is stuck."""
_LOCK_POLL_S = 0.02


def cert_file(name: str) -> str:
    return f"{name}.cert.pem"


def key_file(name: str) -> str:
    return f"{name}.key.pem"


@contextlib.contextmanager
def directory_lock(directory: Path, timeout_s: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Hold an exclusive flock on directory/.lock (released on close, also on a crash).

    Polls with a deadline instead of blocking forever, so a wedged worker turns into an
    error that says what was awaited rather than a hung test session.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise PkiError(f"directory: {directory} exists and is not a directory") from exc
    fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise PkiError(
                        f"directory: timed out after {timeout_s:g} s waiting for the lock "
                        f"{directory / LOCK_FILE}; another process still holds it"
                    ) from None
                time.sleep(_LOCK_POLL_S)
        yield
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes, mode: int) -> None:
    """Write via a temporary file in the same directory and rename over `path`.

    mkstemp creates the file 0600, so a private key is never readable by others, not even
    briefly.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def save_set(
    directory: Path,
    params: LabPkiParameters,
    generated_at: datetime,
    materials: Sequence[PkiMaterial],
) -> None:
    """Write all PEM files, then the index. Call with the directory lock held."""
    entries: dict[str, dict[str, str]] = {}
    for material in materials:
        write_atomically(directory / cert_file(material.name), material.cert_pem, 0o644)
        write_atomically(directory / key_file(material.name), material.key_pem, 0o600)
        entries[material.name] = {
            "key_type": material.key_type,
            "subject_dn": material.subject_dn,
            "identity": material.identity,
            "issuer_name": material.issuer_name,
            "cert_sha256": _sha256(material.cert_pem),
            "key_sha256": _sha256(material.key_pem),
        }
    index = {
        "format": FORMAT_VERSION,
        "generated_at": generated_at.isoformat(),
        "parameters": params.to_json(),
        "entries": entries,
    }
    data = json.dumps(index, indent=2, sort_keys=True).encode() + b"\n"
    write_atomically(directory / INDEX_FILE, data, 0o644)


def _read_index(directory: Path) -> dict[str, Any] | None:
    try:
        index = json.loads((directory / INDEX_FILE).read_bytes())
    except (FileNotFoundError, ValueError):
        return None
    if not isinstance(index, dict) or index.get("format") != FORMAT_VERSION:
        return None
    return index


def _check_parameters(directory: Path, stored: LabPkiParameters, wanted: LabPkiParameters) -> None:
    for field, stored_value in stored.to_json().items():
        wanted_value = wanted.to_json()[field]
        if stored_value != wanted_value:
            raise PkiError(
                f"{field}: {directory} holds a lab PKI set made with {field}={stored_value!r}, "
                f"not {wanted_value!r}; use another directory for other parameters"
            )


def _load_entry(directory: Path, name: str, entry: dict[str, Any]) -> PkiMaterial | None:
    try:
        cert_pem = (directory / cert_file(name)).read_bytes()
        key_pem = (directory / key_file(name)).read_bytes()
    except FileNotFoundError:
        return None
    key_type = entry["key_type"]
    if (
        _sha256(cert_pem) != entry["cert_sha256"]
        or _sha256(key_pem) != entry["key_sha256"]
        or key_type not in get_args(KeyType)
    ):
        return None
    return PkiMaterial(
        name=name,
        cert_pem=cert_pem,
        key_pem=key_pem,
        key_type=key_type,
        subject_dn=str(entry["subject_dn"]),
        identity=str(entry["identity"]),
        issuer_name=str(entry["issuer_name"]),
    )


def load_set(
    directory: Path, params: LabPkiParameters, now: datetime | None = None
) -> list[PkiMaterial] | None:
    """The stored set, or None when it must be (re)generated: absent, incomplete, corrupt,
    of an older format, or too old. Raises PkiError when the directory holds a valid set made
    for other parameters. Call with the directory lock held."""
    index = _read_index(directory)
    if index is None:
        return None
    try:
        stored = LabPkiParameters.from_json(index["parameters"])
        generated_at = datetime.fromisoformat(index["generated_at"])
        entries = index["entries"]
        _check_parameters(directory, stored, params)
        now = now or datetime.now(UTC)
        if not now - MAX_SET_AGE < generated_at < now + _CLOCK_TOLERANCE:
            return None
        materials = [_load_entry(directory, name, entry) for name, entry in entries.items()]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, PkiError):
            raise
        return None
    if any(material is None for material in materials):
        return None
    return [material for material in materials if material is not None]
