"""Find the bundled rubrics and dataset samples, in a checkout or in an installed wheel.

In a checkout they live at the repository root (`rubrics/`, `datasets/`); a wheel carries the same
folders as the packages `edukit.bundled.rubrics` and `edukit.bundled.datasets` (see pyproject).

Users name them instead of giving a path: `--rubric mathdial-moves` is the bundled
`rubrics/mathdial-moves.yaml` when no such file exists, and `sample:mathdial` (or
`sample:<path inside datasets/>`) is a bundled sample wherever a data file or folder is read.
Both lists are read from the bundled folders, so a rubric or sample added there is known at once.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from edukit.errors import InputError, RubricError

_CHECKOUT = Path(__file__).resolve().parent.parent
_WHEEL = Path(__file__).resolve().parent / "bundled"
SAMPLE_PREFIX = "sample:"
SAMPLES_FILE = "samples.json"  # in the bundled datasets folder: name -> file and description


def bundled_root(kind: str) -> Path:
    """The folder holding the bundled `rubrics` or `datasets` (wheel first, then checkout)."""
    if kind not in ("rubrics", "datasets"):
        raise ValueError(f"unknown bundle {kind!r}")
    wheel = _WHEEL / kind
    return wheel if wheel.is_dir() else _CHECKOUT / kind


def bundled(kind: str, *parts: str) -> Path:
    """Path of a bundled file: `bundled("rubrics", "sight.yaml")`, `bundled("datasets", ...)`."""
    return bundled_root(kind).joinpath(*parts)


# --- rubrics -----------------------------------------------------------------------------------


def rubric_names() -> list[str]:
    """The names of the bundled rubrics (their file names without `.yaml`), sorted."""
    root = bundled_root("rubrics")
    return sorted(p.stem for p in root.glob("*.yaml") if p.is_file())


def bundled_rubric(name: str) -> Path:
    """The bundled rubric file called `name` (`mathdial-moves` or `mathdial-moves.yaml`)."""
    stem = name[: -len(".yaml")] if name.endswith(".yaml") else name
    names = rubric_names()
    if stem not in names:
        from edukit.rubric.source import suggest

        raise RubricError(
            f"no bundled rubric {name!r}{suggest(stem, names)} (bundled: {', '.join(names)})"
        )
    return bundled("rubrics", f"{stem}.yaml")


def resolve_rubric(path: str | os.PathLike) -> Path:
    """`path` itself when it exists; otherwise a bare name (no folder) of a bundled rubric.

    Anything else comes back unchanged, so the reader reports the missing file as before, with a
    hint when the name is close to a bundled one.
    """
    from edukit.userfile import exists

    p = Path(path)
    text = os.fspath(path)
    if exists(p) or os.sep in text or "/" in text:
        return p
    stem = text[: -len(".yaml")] if text.endswith(".yaml") else text
    if stem in rubric_names():
        return bundled("rubrics", f"{stem}.yaml")
    return p


def copy_rubric(name: str, dest: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Copy the bundled rubric `name` to `dest` (a file, or an existing folder); its path.

    An existing file is kept (RubricError) unless `overwrite`; the copy is byte for byte, so it
    has the bundled rubric's hash until it is edited.
    """
    from edukit.paths import guard_outputs
    from edukit.userfile import os_reason

    source = bundled_rubric(name)
    target = Path(dest)
    try:
        if target.is_dir():
            target = target / source.name
    except OSError as exc:  # a name too long to look at
        raise RubricError(f"cannot write: {os_reason(exc)}", path=target) from None
    guard_outputs({"DEST": target}, [source])  # e.g. DEST naming the bundled file itself
    if target.exists() and not overwrite:
        raise RubricError("already exists (use --force to overwrite it)", path=target)
    if not target.parent.is_dir():
        raise RubricError("folder does not exist", path=target.parent)
    try:
        target.write_bytes(source.read_bytes())
    except OSError as exc:
        raise RubricError(f"cannot write: {exc.strerror}", path=target) from None
    return target


# --- samples -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """A bundled synthetic sample: `sample:<name>` reads `path`."""

    name: str
    path: Path
    corpus: str
    description: str


def samples() -> dict[str, Sample]:
    """The named bundled samples, from `datasets/samples.json`."""
    root = bundled_root("datasets")
    entries = json.loads((root / SAMPLES_FILE).read_text(encoding="utf-8"))
    return {
        name: Sample(name, root / e["path"], e.get("corpus", ""), e.get("description", ""))
        for name, e in entries.items()
    }


def is_sample(path: str | os.PathLike) -> bool:
    """True when `path` is written `sample:NAME`."""
    return isinstance(path, str | os.PathLike) and os.fspath(path).startswith(SAMPLE_PREFIX)


def resolve_input(path: str | os.PathLike) -> Path:
    """The file or folder to read for `path`: a bundled sample for `sample:NAME`, else `path`.

    `NAME` is a sample name (`edukit datasets list`) or a path inside the bundled datasets
    folder (`sample:sight/prompts/bin_zeroshot`). An unknown name is an InputError listing the
    known ones.
    """
    text = os.fspath(path)
    if not text.startswith(SAMPLE_PREFIX):
        return Path(path)
    name = text[len(SAMPLE_PREFIX) :].strip("/")
    named = samples()
    if name in named:
        return named[name].path
    root = bundled_root("datasets")
    candidate = (root / name).resolve()
    if name and candidate.is_relative_to(root.resolve()) and candidate.exists():
        return candidate
    from edukit.rubric.source import suggest

    raise InputError(
        f"no bundled sample {name!r}{suggest(name, list(named))} "
        f"(samples: {', '.join(named)}; see `edukit datasets list`)",
        path=text,
    )
