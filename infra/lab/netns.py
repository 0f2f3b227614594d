"""Create sockets and TUN devices inside a named network namespace, from this process.

Why this exists: the emulator runs inside the pytest process (so a suite can call it like
any other client) but must send from the lab's client namespace, as a Windows machine
sits on its own network; the capture needs one socket in the gateway namespace too.
Python 3.11 has no ``os.setns``, and a namespace switch is per thread, so a short-lived
helper thread calls libc ``setns(fd, CLONE_NEWNET)`` through ctypes, creates what is
asked for, and ends. A socket or TUN device keeps the namespace it was created in for its
whole life, so the callers use them from any thread without ever switching namespaces
themselves; the pytest thread never leaves the root namespace. NamespaceThread keeps one
such thread inside a namespace for callers that create things there repeatedly.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

CLONE_NEWNET = 0x40000000
NETNS_DIR = Path("/run/netns")

_T = TypeVar("_T")


class NamespaceError(OSError):
    """The namespace does not exist or cannot be entered (not root, no such name)."""


def _libc_setns() -> Callable[[int, int], int]:
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    setns = libc.setns
    setns.argtypes = (ctypes.c_int, ctypes.c_int)
    setns.restype = ctypes.c_int
    return setns


def _enter(namespace: str) -> None:
    """Move the calling thread into NAMESPACE (raises NamespaceError)."""
    path = NETNS_DIR / namespace
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise NamespaceError(exc.errno, f"cannot open network namespace {path}") from None
    try:
        if _libc_setns()(fd, CLONE_NEWNET) != 0:
            errno = ctypes.get_errno()
            raise NamespaceError(errno, f"setns({path}): {os.strerror(errno)} (root needed)")
    finally:
        os.close(fd)


def run_in_namespace(namespace: str | None, make: Callable[[], _T]) -> _T:
    """Call MAKE on a fresh thread that has entered NAMESPACE (None: stay in ours).

    Returns MAKE's result or raises its exception; the helper thread always ends, so
    no thread is ever left in a foreign namespace.
    """
    if namespace is None:
        return make()
    result: list[_T] = []
    error: list[BaseException] = []

    def body() -> None:
        try:
            _enter(namespace)
            result.append(make())
        except BaseException as exc:  # handed to the caller's thread below
            error.append(exc)

    thread = threading.Thread(target=body, name=f"netns-{namespace}")
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]


class NamespaceThread:
    """A thread that enters NAMESPACE once and then runs calls in it, until closed.

    For callers that create namespace-bound objects repeatedly (the emulator makes its
    sockets and VPN interface at every dial): entering a namespace costs milliseconds,
    a round trip to a thread already inside it a fraction of one.
    """

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self._calls: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        entered: Future[None] = Future()
        self._thread = threading.Thread(
            target=self._run, args=(entered,), name=f"netns-{namespace}", daemon=True
        )
        self._thread.start()
        entered.result()

    def _run(self, entered: Future[None]) -> None:
        try:
            _enter(self.namespace)
        except BaseException as exc:
            entered.set_exception(exc)
            return
        entered.set_result(None)
        while (item := self._calls.get()) is not None:
            make, result = item
            try:
                result.set_result(make())
            except BaseException as exc:  # handed to the caller's thread
                result.set_exception(exc)

    def call(self, make: Callable[[], _T]) -> _T:
        """MAKE's result, computed inside the namespace (its exception re-raised here)."""
        if not self._thread.is_alive():
            raise NamespaceError(0, f"the thread for namespace {self.namespace} has ended")
        result: Future[_T] = Future()
        self._calls.put((make, result))
        return result.result()

    def close(self) -> None:
        if self._thread.is_alive():
            self._calls.put(None)
            self._thread.join(timeout=5)
