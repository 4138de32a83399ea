"""Two schemas: each request's answer schema must pass OpenAI strict structured outputs, and
`edukit rubric schema` must be a JSON Schema of the rubric file format that accepts every
bundled rubric and refuses a typo (checked here with a small validator, as `jsonschema` is not a
dependency)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from edukit.resources import bundled
from edukit.rubric import dump_rubric, import_sight, load_rubric, rubric_schema
from edukit.rubric.spec import Example, Label, RubricSpec

from .test_golden import COMMENT, TURN

BUNDLED = ["sight.yaml", "sight-joint.yaml", "mathdial-moves.yaml"]
FOLDERS = ["bin_zeroshot", "bin_kshot", "bin_kshot_reasoning"]

# Keywords OpenAI's strict mode supports (structured outputs guide, "Supported schemas").
_STRICT_KEYWORDS = {
    "type", "properties", "required", "additionalProperties", "enum", "const", "items",
    "anyOf", "$defs", "$ref", "description", "pattern", "format", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems", "maxItems",
}  # fmt: skip


def assert_strict(schema: dict[str, Any], at: str = "$") -> None:
    """Fail unless `schema` meets the strict structured-output rules at every level."""
    assert set(schema) <= _STRICT_KEYWORDS, f"{at}: unsupported {set(schema) - _STRICT_KEYWORDS}"
    if schema.get("type") == "object":
        assert schema.get("additionalProperties") is False, f"{at}: additionalProperties"
        assert schema.get("required") == list(schema["properties"]), f"{at}: not all required"
        for name, sub in schema["properties"].items():
            assert_strict(sub, f"{at}.{name}")
    if "items" in schema:
        assert_strict(schema["items"], f"{at}[]")
    for i, sub in enumerate(schema.get("anyOf", [])):
        assert_strict(sub, f"{at}|{i}")
    if "enum" in schema:
        assert schema["type"] == "string" and all(isinstance(v, str) for v in schema["enum"])
        assert len(set(schema["enum"])) == len(schema["enum"]) >= 1


def _check_requests(rubric, item) -> int:
    checked = 0
    for request in rubric.requests(item):
        schema = request.schema
        assert schema["type"] == "object" and "anyOf" not in schema  # root must be an object
        assert_strict(schema)
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", request.schema_name)
        props = list(schema["properties"])
        if (
            rubric.label_reasoning(request.labels[0])
            if rubric.task == "binary"
            else rubric.reasoning
        ):
            assert props[0] == "reasoning" and schema["properties"]["reasoning"] == {
                "type": "string"
            }
            assert props[1:] == list(request.labels)
        else:
            assert "reasoning" not in props and props == list(request.labels)
        checked += 1
    return checked


@pytest.mark.parametrize("name", BUNDLED)
@pytest.mark.parametrize("reasoning", [False, True])
def test_bundled_request_schemas_are_strict(tmp_path, name, reasoning):
    doc = yaml.safe_load(bundled("rubrics", name).read_text(encoding="utf-8"))
    if reasoning:  # the same rubric with chain of thought on
        doc["output"]["reasoning"] = True
        for example in doc["examples"]:
            example["reasoning"] = "Because."
    path = tmp_path / name
    dump_rubric(doc, path)
    rubric = load_rubric(path)
    assert rubric.reasoning is reasoning
    item = TURN if name.startswith("mathdial") else COMMENT
    assert _check_requests(rubric, item) == (9 if name == "sight.yaml" else 1)
    if reasoning:  # few-shot answers show the same order: reasoning first
        answer = json.loads(rubric.requests(item)[0].messages[2]["content"])
        assert next(iter(answer)) == "reasoning"


@pytest.mark.parametrize("folder", FOLDERS)
def test_imported_sight_request_schemas_are_strict(shared_data, tmp_path, folder):
    path = tmp_path / "r.yaml"
    dump_rubric(import_sight(shared_data / "sight" / "prompts" / folder), path)
    assert _check_requests(load_rubric(path), COMMENT) == 9


@pytest.mark.parametrize(
    "bad",
    [
        {"type": "object", "properties": {"a": {"type": "boolean"}}, "required": ["a"]},
        {
            "type": "object",
            "properties": {"a": {"type": "boolean"}, "b": {"type": "boolean"}},
            "required": ["a"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"a": {"type": "string", "minLength": 1}},
            "required": ["a"],
            "additionalProperties": False,
        },
    ],
)
def test_the_strict_checker_catches_what_providers_refuse(bad):
    with pytest.raises(AssertionError):
        assert_strict(bad)


# --- the rubric file format schema ------------------------------------------------------------
_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def validate(value: Any, schema: dict[str, Any], root: dict[str, Any], at: str = "$") -> None:
    """A minimal JSON Schema validator for the keywords `rubric_schema()` uses."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        schema = {**root["$defs"][name], **{k: v for k, v in schema.items() if k != "$ref"}}
    if "anyOf" in schema:
        errors = []
        for option in schema["anyOf"]:
            try:
                validate(value, option, root, at)
                break
            except AssertionError as exc:
                errors.append(str(exc))
        else:
            raise AssertionError(f"{at}: matches no option ({'; '.join(errors)})")
    if "type" in schema:
        kind = schema["type"]
        ok = isinstance(value, _TYPES[kind]) and not (
            kind in ("integer", "number") and isinstance(value, bool)
        )
        assert ok, f"{at}: expected {kind}, got {value!r}"
    if "enum" in schema:
        assert value in schema["enum"], f"{at}: {value!r} not in {schema['enum']}"
    if "const" in schema:
        assert value == schema["const"], f"{at}: {value!r} != {schema['const']!r}"
    if "pattern" in schema and isinstance(value, str):
        assert re.search(schema["pattern"], value), f"{at}: {value!r} !~ {schema['pattern']}"
    if "minimum" in schema and isinstance(value, int | float):
        assert value >= schema["minimum"], f"{at}: below {schema['minimum']}"
    if "minItems" in schema and isinstance(value, list):
        assert len(value) >= schema["minItems"], f"{at}: fewer than {schema['minItems']} items"
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            validate(v, schema["items"], root, f"{at}[{i}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            assert key in value, f"{at}: missing {key!r}"
        extra = schema.get("additionalProperties", True)
        for key, v in value.items():
            if key in props:
                validate(v, props[key], root, f"{at}.{key}")
            elif extra is False:
                raise AssertionError(f"{at}: unknown key {key!r}")
            elif isinstance(extra, dict):
                validate(v, extra, root, f"{at}.{key}")


_KNOWN = {
    "$schema", "$defs", "$ref", "title", "description", "type", "properties", "required",
    "additionalProperties", "items", "anyOf", "enum", "const", "default", "pattern", "minimum",
    "maximum", "minItems",
}  # fmt: skip


def _keywords(schema: Any, found: set[str]) -> set[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            found.add(key)
            if key in ("properties", "$defs"):
                for sub in value.values():
                    _keywords(sub, found)
            elif key != "default":
                _keywords(value, found)
    elif isinstance(schema, list):
        for sub in schema:
            _keywords(sub, found)
    return found


def _as_editor_sees(path) -> Any:
    # A YAML language server checks the document as JSON: `true:` keys become "true".
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8"))))


def test_schema_command_output_is_a_2020_12_schema_of_every_key(cli):
    r = cli("rubric", "schema")
    assert r.code == 0, r.err
    schema = json.loads(r.out)
    assert schema == json.loads(json.dumps(rubric_schema()))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert _keywords(schema, set()) <= _KNOWN
    # Every key the loader accepts is described, and no object takes keys the loader refuses.
    defs = schema["$defs"]
    assert set(schema["properties"]) == set(RubricSpec.model_fields)
    assert set(defs["Label"]["properties"]) == set(Label.model_fields)
    assert set(defs["Example"]["properties"]) == set(Example.model_fields)
    for name, sub in [("rubric", schema), *defs.items()]:
        assert sub["additionalProperties"] is False, name
        assert sub.get("description"), name  # shown as hover text in the editor
    for owner, sub in [("rubric", schema), *defs.items()]:
        for name, prop in sub["properties"].items():
            assert prop.get("description") or "$ref" in prop, f"{owner}.{name}"


@pytest.mark.parametrize("name", BUNDLED)
def test_schema_accepts_the_bundled_rubrics(name):
    schema = rubric_schema()
    validate(_as_editor_sees(bundled("rubrics", name)), schema, schema)


@pytest.mark.parametrize("folder", FOLDERS)
def test_schema_accepts_imported_sight_rubrics(shared_data, tmp_path, folder):
    path = tmp_path / "r.yaml"
    dump_rubric(import_sight(shared_data / "sight" / "prompts" / folder), path)
    schema = rubric_schema()
    validate(_as_editor_sees(path), schema, schema)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("definition: The comment is written", "definiton: The comment is written", "definit"),
        ("task: binary", "task: binnary", "'binnary' not in"),
        ("  samples: 1", "  samples: 0", "below 1"),
        ("- name: na\n", "- name: n a\n", "!~"),
        ('version: "1.0"', "version: 1.0", "expected string"),
    ],
)  # fmt: skip
def test_schema_refuses_what_the_loader_refuses(tmp_path, old, new, message):
    text = bundled("rubrics", "sight.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    schema = rubric_schema()
    with pytest.raises(AssertionError, match=re.escape(message)):
        validate(_as_editor_sees(path), schema, schema)
    with pytest.raises(Exception):  # noqa: B017 - the loader refuses it too (RubricError)
        load_rubric(path)
