"""Fine-tuning exports: tutoring dialogues with teacher moves as training sets for tutor models.

`export_finetune(dialogues, utterances, format=..., out_dir=...)` writes train/val(/test) JSONL in
one of `FORMATS` plus a manifest; `validate_file(path, format)` lists every rule a file breaks;
`manifest_format(path)` reads the format from the manifest beside a file, `guess_format(path)`
names the format a file looks like.
"""

from edukit.export.examples import CLEANUP_STEPS, GROUNDING_FIELDS
from edukit.export.finetune import check_options, export_finetune
from edukit.export.formats import FORMATS, dataset_info, render
from edukit.export.manifest import Manifest
from edukit.export.splits import assign_splits
from edukit.export.validate import (
    Problem,
    guess_format,
    manifest_format,
    validate_file,
    validate_line,
)

__all__ = [
    "CLEANUP_STEPS",
    "FORMATS",
    "GROUNDING_FIELDS",
    "Manifest",
    "Problem",
    "assign_splits",
    "check_options",
    "dataset_info",
    "export_finetune",
    "guess_format",
    "manifest_format",
    "render",
    "validate_file",
    "validate_line",
]
