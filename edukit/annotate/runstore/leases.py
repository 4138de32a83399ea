"""Leases: which process may send a request (several processes may work on one run)."""

from __future__ import annotations

import os
import socket
import time

from edukit.annotate.runstore.schema import FINISHED

HOST = socket.gethostname()


def _alive(host: str, pid: int) -> bool:
    """False for a process of this host that no longer runs (its leases are stale)."""
    if host != HOST:
        return True  # cannot tell: the lease's expiry decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Leases:
    """The lease methods of `RunStore`: claim, release, release_all (inside `write()`)."""

    def claim(self, key: str, owner: str, ttl: float) -> str:
        """Take the lease to send request `key`: "mine", "finished" (answered meanwhile) or
        "busy" (a live process holds it). Call inside `write()`."""
        row = self.db.execute("SELECT status FROM responses WHERE key = ?", (key,)).fetchone()
        if row and row[0] in FINISHED:
            return "finished"
        now = time.time()
        lease = self.db.execute(
            "SELECT owner, host, pid, expires FROM leases WHERE key = ?", (key,)
        ).fetchone()
        if lease and lease[0] != owner and lease[3] > now and _alive(lease[1], lease[2]):
            return "busy"
        self.db.execute(
            "INSERT OR REPLACE INTO leases (key, owner, host, pid, expires) VALUES (?, ?, ?, ?, ?)",
            (key, owner, HOST, os.getpid(), now + ttl),
        )
        return "mine"

    def release(self, key: str, owner: str) -> None:
        """Give up the lease of `key` (done, or not sent after all). Call inside `write()`."""
        self.db.execute("DELETE FROM leases WHERE key = ? AND owner = ?", (key, owner))

    def release_all(self, owner: str) -> None:
        """Give up every lease `owner` still holds (the end of a call, or an interruption)."""
        self.db.execute("DELETE FROM leases WHERE owner = ?", (owner,))
