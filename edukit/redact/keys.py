"""The secret behind the keyed digest that identifies a declared-names list (HMAC-SHA256).

An unsalted hash of a names list can be reversed by hashing guesses (a list of common first
names recovers a short list in seconds). The digest that reports and the run store carry is an
HMAC keyed by a random secret kept in the user's config folder (`$XDG_CONFIG_HOME/edukit/
redaction.key`, default `~/.config`, readable by the user only; `EDUKIT_REDACTION_KEY_FILE`
names another file). The secret itself is never written anywhere else: two runs on the same
machine (or sharing the file) have equal digests for equal lists, and nobody without the file
can test a guess.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path

from edukit.errors import RedactError

KEY_FILE = "redaction.key"


def key_path() -> Path:
    """Where the secret is kept."""
    explicit = os.environ.get("EDUKIT_REDACTION_KEY_FILE")
    if explicit:
        return Path(explicit)
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config) / "edukit" / KEY_FILE


def secret() -> bytes:
    """The secret (created on first use: 32 random bytes, file mode 0600)."""
    path = key_path()
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(32) + "\n")
        text = path.read_text(encoding="ascii").strip()
    except FileExistsError:  # another process created it meanwhile
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise RedactError(
            f"cannot read or create the redaction key ({reason}): it identifies the declared "
            "names list without revealing it; set EDUKIT_REDACTION_KEY_FILE to a writable file",
            path=path,
        ) from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise RedactError(
            "the redaction key is not 32+ hex digits: delete it to make a new one", path=path
        )
    return key


def names_digest(names: list[str] | tuple[str, ...]) -> str | None:
    """HMAC-SHA256 (hex) of the sorted list under the user's secret; None for no names."""
    if not names:
        return None
    text = json.dumps(sorted(names), separators=(",", ":"), ensure_ascii=False)
    return hmac.new(secret(), text.encode("utf-8"), hashlib.sha256).hexdigest()
