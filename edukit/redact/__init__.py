"""Redaction of personal information before text leaves the machine (issue 17).

`make_profile(...)` → `RedactionProfile` (name, entity types, declared names, hash);
`Redactor(profile).redact(text)` / `.redact_items(items, fields)`;
`redact_file(input, out, profile)`.
"""

from edukit.redact.annotate import Redaction
from edukit.redact.corpus import declared_names, redact_file, redact_items_table, text_fields
from edukit.redact.patterns import ALL_TYPES, MODEL_TYPES, RULE_TYPES
from edukit.redact.profile import PRESETS, RedactionProfile, make_profile, read_names
from edukit.redact.redactor import Placeholders, Redacted, Redactor, load_pipeline

__all__ = [
    "ALL_TYPES",
    "MODEL_TYPES",
    "PRESETS",
    "RULE_TYPES",
    "Placeholders",
    "Redacted",
    "Redaction",
    "RedactionProfile",
    "Redactor",
    "declared_names",
    "load_pipeline",
    "make_profile",
    "read_names",
    "redact_file",
    "redact_items_table",
    "text_fields",
]
