"""Keeping the API key out of messages, the run store and output files.

Text that comes from a server (error bodies, answers) may echo the request's credentials: a
gateway that repeats the `Authorization` header, a proxy that logs the `api-key` header into its
error page. `scrub` removes whole occurrences of the key (keys of 8 characters or more: a short
key such as `x` also occurs inside ordinary words) and any value of those headers.
"""

from __future__ import annotations

import re

MIN_KEY_LENGTH = 8
MASK = "***"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEY_CHARS = r"A-Za-z0-9_\-"
# `Authorization: Bearer X`, `"api-key": "X"`, `x-api-key=X` ... the value is masked
_HEADER = re.compile(
    r"(?i)(\b(?:authorization|proxy-authorization|x-api-key|api-key|api_key)\b[\"']?\s*[:=]\s*"
    r"[\"']?(?:bearer\s+|basic\s+)?)([^\s\"',;}]+)"
)
_BEARER = re.compile(r"(?i)(\bbearer\s+)([A-Za-z0-9._~+/=-]{8,})")  # a token, not "bearer bonds"


def valid_env_name(name: str) -> bool:
    """True for a usable environment variable name: letters, digits, _, no leading digit."""
    return bool(_ENV_NAME.fullmatch(name))


class Scrubber:
    """Removes one API key (and credential header values) from text."""

    def __init__(self, key: str | None, others: list[str] | tuple[str, ...] = ()) -> None:
        self.key = key if key and len(key) >= MIN_KEY_LENGTH else None
        self._key_re = (
            re.compile(rf"(?<![{_KEY_CHARS}]){re.escape(self.key)}(?![{_KEY_CHARS}])")
            if self.key
            else None
        )
        # secrets of the base URL (its password, user, query values), of any length that is
        # not an ordinary word's part
        self._others = [o for o in others if o and len(o) >= 4]

    def __call__(self, text: str) -> str:
        if not text:
            return text
        if self._key_re is not None and self.key in text:
            text = self._key_re.sub(MASK, text)
        for other in self._others:
            if other in text:
                text = text.replace(other, MASK)
        lowered = text.lower()
        if "bearer" in lowered or "key" in lowered or "authorization" in lowered:
            text = _HEADER.sub(lambda m: m.group(1) + MASK, text)
            text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
        return text
