"""Redaction profiles: which entity types are replaced, how, and a hash that says so.

A profile's `hash` covers everything that decides what leaves the machine: the entity types,
the placeholder scope, the declared-name list (by its keyed digest, `edukit.redact.keys`), the
phone regions, the spaCy pipeline (name and version) and the version of the rules. Two runs with
equal hashes sent text redacted the same way.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field

from edukit.errors import RedactError
from edukit.redact.keys import names_digest
from edukit.redact.patterns import ALL_TYPES, MODEL_TYPES, RULE_TYPES

RULES_VERSION = "2"  # bump when a pattern changes what is redacted
SCOPES = ("item", "dialogue")
# Named presets for `--redact-profile`; `--entities` narrows or widens the types.
PRESETS: dict[str, tuple[str, ...]] = {
    "rules": RULE_TYPES,
    "contact": ("EMAIL", "URL", "PHONE", "HANDLE", "IP"),
    "ner": RULE_TYPES + MODEL_TYPES,
}


@dataclass(frozen=True)
class RedactionProfile:
    """What to redact: entity types, declared names, optional spaCy pipeline, placeholder scope."""

    name: str = "rules"
    entities: tuple[str, ...] = RULE_TYPES
    names: tuple[str, ...] = ()  # declared names from --names (corpus-declared ones come per item)
    corpus_names: bool = True  # also redact names the corpus declares (MathDial student names)
    spacy_model: str | None = None
    spacy_model_version: str | None = None
    scope: str = "item"
    phone_regions: tuple[str, ...] | None = None  # None: phones.DEFAULT_REGIONS
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def regions(self) -> tuple[str, ...]:
        """The phone regions in use."""
        from edukit.redact.phones import DEFAULT_REGIONS

        return self.phone_regions or DEFAULT_REGIONS

    def to_json(self) -> dict:
        """The profile as plain data (the declared names by count and keyed digest, never in
        clear nor by a plain hash that a list of common names could reverse)."""
        return {
            "name": self.name,
            "hash": self.hash,
            "entities": list(self.entities),
            "scope": self.scope,
            "phone_regions": list(self.regions),
            "names": len(self.names),
            "names_hmac": names_digest(self.names),
            "corpus_names": self.corpus_names,
            "spacy_model": self.spacy_model,
            "spacy_model_version": self.spacy_model_version,
            "rules_version": RULES_VERSION,
        }

    @property
    def hash(self) -> str:
        """sha256 (first 16 hex digits) over everything that decides the redacted text."""
        payload = {
            "entities": sorted(self.entities),
            "scope": self.scope,
            "regions": list(self.regions),
            "names": names_digest(self.names),
            "corpus_names": self.corpus_names,
            "spacy_model": self.spacy_model,
            "spacy_model_version": self.spacy_model_version,
            "rules_version": RULES_VERSION,
        }
        return _digest(payload)[:16]


def _digest(obj: object) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_entities(values: list[str] | str | None, default: tuple[str, ...]) -> tuple[str, ...]:
    """Entity types from `--entities` (repeated or comma-separated, any case); `default` if none."""
    if values is None:
        return default
    if isinstance(values, str):
        values = [values]
    wanted: list[str] = []
    for value in values:
        for part in value.split(","):
            name = part.strip().upper()
            if not name:
                continue
            if name not in ALL_TYPES:
                raise RedactError(
                    f"unknown entity type {part.strip()!r} (known: {', '.join(ALL_TYPES)})"
                )
            if name not in wanted:
                wanted.append(name)
    if not wanted:
        raise RedactError(f"--entities names no entity type (known: {', '.join(ALL_TYPES)})")
    return tuple(wanted)


def read_names(path: str | os.PathLike) -> tuple[str, ...]:
    """Declared names from a UTF-8 text file, one per line (blank lines and `#` lines skipped)."""
    from edukit.userfile import read_user_text

    text = read_user_text(path, what="names file", error=RedactError)
    names: list[str] = []
    for line in text.splitlines():
        name = " ".join(line.split())
        if name and not name.startswith("#") and name not in names:
            names.append(name)
    if not names:
        raise RedactError("names file holds no names (one name per line)", path=path)
    return tuple(names)


def make_profile(
    name: str | None = None,
    *,
    entities: list[str] | str | None = None,
    names_file: str | os.PathLike | None = None,
    names: tuple[str, ...] = (),
    spacy_model: str | None = None,
    scope: str = "item",
    corpus_names: bool = True,
    phone_regions: str | list[str] | tuple[str, ...] | None = None,
) -> RedactionProfile:
    """A profile from a preset name (`rules`, `contact`, `ner`) and the command's options.

    The `ner` preset (and any model entity type) needs `spacy_model`; the rules alone never do.
    """
    preset = name or ("ner" if spacy_model else "rules")
    if preset not in PRESETS:
        raise RedactError(f"unknown redaction profile {preset!r} (known: {', '.join(PRESETS)})")
    default = PRESETS[preset]
    if spacy_model is None and entities is None:
        default = tuple(t for t in default if t not in MODEL_TYPES)
        if preset == "ner":
            raise RedactError(
                "redaction profile 'ner' needs an installed spaCy pipeline: --spacy-model NAME"
            )
    chosen = parse_entities(entities, default)
    needs_model = [t for t in chosen if t in MODEL_TYPES]
    if needs_model and spacy_model is None:
        raise RedactError(
            f"entity types {', '.join(needs_model)} need an installed spaCy pipeline: "
            "--spacy-model NAME (e.g. en_core_web_sm)"
        )
    if scope not in SCOPES:
        raise RedactError(f"unknown placeholder scope {scope!r} (known: {', '.join(SCOPES)})")
    from edukit.redact.phones import parse_regions

    regions = parse_regions(phone_regions) if phone_regions is not None else None
    declared = tuple(names) + (read_names(names_file) if names_file is not None else ())
    # an option the chosen types would ignore: the user believes these are redacted
    if declared and "NAME" not in chosen:
        raise RedactError(
            "declared names (--names, --names-from-column) are replaced only with the entity "
            f"type NAME, which profile {preset!r} / --entities leave out ({', '.join(chosen)})"
        )
    if regions is not None and "PHONE" not in chosen:
        raise RedactError(
            f"--phone-regions applies to the entity type PHONE, which profile {preset!r} / "
            f"--entities leave out ({', '.join(chosen)})"
        )
    return RedactionProfile(
        name=preset,
        entities=chosen,
        names=tuple(dict.fromkeys(declared)),
        corpus_names=corpus_names,
        spacy_model=spacy_model,
        scope=scope,
        phone_regions=regions,
    )
