"""Import a SIGHT prompt folder (Wang et al., BEA 2023) as a `binary` rubric.

A folder holds `info.json` (valid labels with their true/false → 1/0 maps, `cot_labels`) and
`label_prompts/v<version>_<label>.txt`, each a complete prompt with `{comment}`, `{videoName}`
and `{playlistName}` placeholders. Each label keeps its prompt verbatim as its own template and
its version (`v39`, `v73d`, ...) so model annotations carry it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from edukit.errors import RubricError
from edukit.userfile import exists as _exists

PLACEHOLDERS = {"comment": "comment", "videoName": "video_name", "playlistName": "playlist_name"}
SIGHT_CITATION = (
    "Wang, Wirawarn, Goodman and Demszky (2023). SIGHT: A Large Annotated Dataset on Student "
    "Insights Gathered from Higher Education Transcripts. BEA 2023."
)
_FILE = re.compile(r"^v(?P<version>[0-9]+[a-z]*)_(?P<label>[a-z_]+)\.txt$")
# `{name}` alone; doubled braces (`{{x}}`) are literal text, as in str.format.
_PLACEHOLDER = re.compile(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})")


REASONING_MAX_TOKENS = 300  # a short explanation, then the JSON answer
ANSWER_MAX_TOKENS = 50  # the JSON answer alone


def import_sight(prompts_dir: str | Path) -> dict[str, Any]:
    """The rubric document (a plain dict, ready to dump as YAML) for one SIGHT prompt folder."""
    from edukit.resources import resolve_input
    from edukit.userfile import check_user_file

    folder = resolve_input(prompts_dir)
    info_path = folder / "info.json"
    if not _exists(info_path):
        raise RubricError("not a SIGHT prompt folder: info.json is missing", path=folder)
    info = _read_info(info_path)
    valid = info["valid_labels"]
    cot = set(info.get("cot_labels") or [])
    prompts: dict[str, tuple[str, Path]] = {}
    for path in sorted((folder / "label_prompts").glob("*.txt")):
        check_user_file(path, what="prompt file", error=RubricError)
        match = _FILE.match(path.name)
        if not match:
            raise RubricError("prompt file name is not v<version>_<label>.txt", path=path)
        label = match["label"]
        if label not in valid:
            raise RubricError(f"label {label!r} is not in info.json valid_labels", path=path)
        if label in prompts:
            raise RubricError(f"two prompts for label {label!r}", path=path)
        prompts[label] = ("v" + match["version"], path)
    if not prompts:
        raise RubricError("no label_prompts/v<version>_<label>.txt files", path=folder)
    labels = []
    for name in valid:  # info.json's order
        if name not in prompts:
            continue
        version, path = prompts[name]
        text = _read_prompt(path)
        if not text.strip():
            raise RubricError("the prompt file is empty", path=path)
        values = {_bool(k, info_path): _int(v, name, info_path) for k, v in valid[name].items()}
        labels.append(
            {
                "name": name,
                "definition": _definition(text),
                "version": version,
                "values": values,
                "template": to_jinja(text, path),
            }
        )
    reasoning = bool(cot & set(prompts))
    if reasoning and not set(prompts) <= cot:
        for label in labels:
            label["reasoning"] = label["name"] in cot
    return {
        "name": f"sight-{_slug(folder.name)}",
        "version": folder.name,
        "description": f"SIGHT prompt folder {folder.name}, imported verbatim.",
        "citation": SIGHT_CITATION,
        "task": "binary",
        "unit": {
            "id_field": "item_id",
            "text_field": "comment",
            "context_fields": ["video_name", "playlist_name"],
        },
        "labels": labels,
        "output": {"reasoning": reasoning and set(prompts) <= cot, "samples": 1},
        # the paper's settings: deterministic decoding and a bounded answer (server defaults
        # sample at 0.8 and may generate until a timeout)
        "defaults": {
            "temperature": 0,
            "max_tokens": REASONING_MAX_TOKENS if reasoning else ANSWER_MAX_TOKENS,
        },
    }


def to_jinja(text: str, path: Path | None = None) -> str:
    """A `{comment}`-style prompt as a Jinja template; any other brace text stays literal."""
    out = []
    pos = 0
    for match in _PLACEHOLDER.finditer(text):
        name = match[1]
        if name not in PLACEHOLDERS:
            line = text.count("\n", 0, match.start()) + 1
            raise RubricError(f"unknown placeholder {{{name}}}", path=path, where=line)
        out.append(_literal(text[pos : match.start()]))
        out.append("{{ " + PLACEHOLDERS[name] + " }}")
        pos = match.end()
    out.append(_literal(text[pos:]))
    return "".join(out)


def _literal(text: str) -> str:
    # Jinja would read `{{`, `{%` or `{#` (even when split across a placeholder) as syntax, so
    # brace text goes in raw blocks. A raw block ends at the first `{%` ... `endraw`, so no raw
    # block may hold `{%`: the text is cut there and `{%` written as a Jinja string.
    return '{{ "{%" }}'.join(_raw(piece) for piece in text.split("{%"))


def _raw(text: str) -> str:
    if "{" in text or "}" in text:
        return "{% raw %}" + text + "{% endraw %}"
    return text


def dump_rubric(doc: dict[str, Any], path: str | Path) -> None:
    """Write a rubric document as YAML, multi-line text as readable block scalars."""
    text = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise RubricError(f"cannot write the rubric: {exc.strerror}", path=path) from None


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _definition(text: str) -> str:
    # The prompt's own statement of the criterion: its `Task:` question, else its last line.
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    tasks = [line[len("Task:") :].strip() for line in lines if line.startswith("Task:")]
    return tasks[-1] if tasks else lines[-1]


def _read_info(path: Path) -> dict[str, Any]:
    from edukit.jsonsafe import loads
    from edukit.userfile import read_user_text

    text = read_user_text(path, what="info.json", error=RubricError)
    info = loads(text, path=path, error=RubricError)
    if not isinstance(info, dict) or "valid_labels" not in info:
        raise RubricError("info.json must be an object with valid_labels", path=path)
    valid = info["valid_labels"]
    if not isinstance(valid, dict) or not all(isinstance(v, dict) for v in valid.values()):
        raise RubricError(
            'valid_labels must map each label to its answers ({"general": {"true": 1, '
            '"false": 0}, ...})',
            path=path,
        )
    cot = info.get("cot_labels")
    if cot is not None and not (isinstance(cot, list) and all(isinstance(c, str) for c in cot)):
        raise RubricError("cot_labels must be a list of label names", path=path)
    return info


def _read_prompt(path: Path) -> str:
    from edukit.userfile import read_user_text

    return read_user_text(path, what="prompt file", error=RubricError)


def _int(value: Any, label: str, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RubricError(
            f"valid_labels.{label}: answers must map to 0 or 1, got {value!r}", path=path
        )
    return value


def _bool(key: str, path: Path) -> bool:
    if key.lower() not in ("true", "false"):
        raise RubricError(f"valid_labels answers must be true/false, got {key!r}", path=path)
    return key.lower() == "true"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name)
