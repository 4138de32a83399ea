"""A loaded rubric: builds the prompt requests for an item and decodes the model's answers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

from edukit.errors import RubricError
from edukit.prompt import Decision, PromptRequest
from edukit.rubric import outputs
from edukit.rubric.outputs import InvalidOutput
from edukit.rubric.source import Path_, Source
from edukit.rubric.spec import Example, Label, RubricSpec, safe_identifier
from edukit.rubric.templates import TemplateProblem, compile_template, render, template_fields

_DEFAULT_VALUES = {True: 1, False: 0}


class Rubric:
    """An annotation scheme ready to use: `requests(item)`, `decode(request, obj)`, `hash`."""

    def __init__(self, spec: RubricSpec, examples: list[Example], source: Source) -> None:
        self.spec = spec
        self.examples = examples  # inline examples, then those from `examples_file`
        self.source = source
        self.path = source.path
        # Where each example was written (file, line:column), for error and leakage messages.
        self.example_origins: list[tuple[Path, str | None]] = [(source.path, None)] * len(examples)
        self._labels = {label.name: label for label in spec.labels}
        self._templates: dict[str | None, Any] = {}
        for loc, text in self.template_texts().items():
            try:
                key = spec.labels[loc[1]].name if len(loc) > 1 else None
                self._templates[key] = compile_template(text)
            except TemplateProblem as exc:
                raise self.template_error(loc, exc.line, exc.message) from None

    # --- the interface the annotation engine uses -------------------------------------------
    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def version(self) -> str:
        return self.spec.version

    @property
    def task(self) -> str:
        return self.spec.task

    @property
    def labels(self) -> list[str]:
        return [label.name for label in self.spec.labels]

    @property
    def target(self) -> str | None:
        return self.spec.target

    @property
    def defaults(self) -> dict[str, Any]:
        return self.spec.defaults.model_dump(exclude_none=True)

    @property
    def samples(self) -> int:
        return self.spec.output.samples

    @property
    def reasoning(self) -> bool:
        return self.spec.output.reasoning

    @property
    def id_field(self) -> str:
        return self.spec.unit.id_field

    @property
    def text_field(self) -> str:
        return self.spec.unit.text_field

    @property
    def context_fields(self) -> list[str]:
        return list(self.spec.unit.context_fields)

    @cached_property
    def hash(self) -> str:
        """sha256 of the canonical content (key order, comments and layout do not count)."""
        return hashlib.sha256(canonical_json(self).encode("utf-8")).hexdigest()

    def requests(self, item: Mapping[str, Any]) -> list[PromptRequest]:
        """The chat requests that annotate `item` (one per label for binary rubrics)."""
        if self.id_field not in item:
            raise RubricError(
                f"item has no id field {self.id_field!r} (unit.id_field)",
                path=self.path,
                where=self.source.where(("unit", "id_field")),
            )
        item_id = text_id(item[self.id_field])
        if self.task == "binary":
            return [self._binary(label, item, item_id) for label in self.spec.labels]
        return [self._joint(item, item_id)]

    def decode(self, request: PromptRequest, obj: Any) -> list[Decision]:
        """Validate a parsed answer and map it to long-table rows (InvalidOutput if unfit)."""
        answer = outputs.validate_answer(request.schema, obj)
        reasoning = answer.get("reasoning")
        if self.task == "single":
            return [Decision(request.key, answer[request.key], request.version, reasoning)]
        if self.task == "scales":
            return [
                Decision(name, answer[name], request.version, reasoning) for name in request.labels
            ]
        return [
            Decision(name, self._value(name, answer[name]), request.version, reasoning)
            for name in request.labels
        ]

    def parse_text(self, request: PromptRequest, text: str) -> Any:
        """A JSON object found in a plain-text answer, or the answer as one allowed value."""
        return outputs.parse_text(request.schema, text)

    # --- building requests ------------------------------------------------------------------
    def template_texts(self) -> dict[Path_, str]:
        """Every template of the rubric, keyed by where it is written (`('template',)`, ...)."""
        texts: dict[Path_, str] = {("template",): self.spec.template or self._default_template()}
        for i, label in enumerate(self.spec.labels):
            if label.template is not None:
                texts[("labels", i, "template")] = label.template
        return texts

    def template_fields(self) -> dict[Path_, dict[str, int]]:
        """The item fields each template reads, with the template line each first appears on."""
        return {loc: template_fields(text) for loc, text in self.template_texts().items()}

    def label_reasoning(self, name: str) -> bool:
        """Whether the request for label `name` asks for reasoning first (binary override)."""
        label = self._labels[name]
        return self.reasoning if label.reasoning is None else label.reasoning

    def _default_template(self) -> str:
        unit = self.spec.unit
        lines = [f"{field}: {{{{ {field} }}}}" for field in unit.context_fields]
        return "\n".join([*lines, f"{unit.text_field}: {{{{ {unit.text_field} }}}}"])

    def _binary(self, label: Label, item: Mapping[str, Any], item_id: str) -> PromptRequest:
        index = self.labels.index(label.name)
        reasoning = self.label_reasoning(label.name)
        schema = outputs.answer_schema({label.name: None}, reasoning)
        instructions = (
            label.instructions if label.instructions is not None else self.spec.instructions
        )
        if label.template is not None:
            # A label with its own template carries its whole prompt (as SIGHT's do).
            messages = _system(instructions.strip() if instructions else None)
            messages.append(
                {"role": "user", "content": self._render(index, item, f"item {item_id}")}
            )
        else:
            system = [instructions, _describe(label, "binary"), _answer_line(schema)]
            messages = _system("\n\n".join(s.strip() for s in system if s))
            for n, example in enumerate(self.examples, 1):
                value = 1 if label.name in _as_list(example.labels) else 0
                answer = {label.name: _answer_for(label, value)}
                messages += self._shot(example, n, answer, reasoning)
            messages.append(
                {"role": "user", "content": self._render(None, item, f"item {item_id}")}
            )
        return PromptRequest(
            item_id=item_id,
            key=label.name,
            labels=(label.name,),
            version=label.version or self.version,
            messages=messages,
            schema_name=safe_identifier(f"{self.name}_{label.name}"),
            schema=schema,
            params=self.defaults,
        )

    def categories(self, name: str) -> list[str]:
        """A scales label's classes in their declared order ([] for other tasks)."""
        return [c.name for c in self._labels[name].categories or []]

    def _joint(self, item: Mapping[str, Any], item_id: str) -> PromptRequest:
        if self.task == "single":
            key = self.target or "label"
            schema = outputs.answer_schema({key: self.labels}, self.reasoning)
        elif self.task == "scales":
            key = self.target or self.name
            schema = outputs.answer_schema(
                {name: self.categories(name) for name in self.labels}, self.reasoning
            )
        else:
            key = self.target or self.name
            schema = outputs.answer_schema(dict.fromkeys(self.labels), self.reasoning)
        blocks = [_describe(label, self.task) for label in self.spec.labels]
        heading = {
            "single": "Categories (choose exactly one):",
            "scales": "Dimensions (choose exactly one category of each):",
        }.get(self.task, "Labels (any number of them may apply, including none):")
        system = [
            self.spec.instructions,
            heading + "\n\n" + "\n\n".join(blocks),
            _answer_line(schema),
        ]
        messages = _system("\n\n".join(s.strip() for s in system if s))
        for n, example in enumerate(self.examples, 1):
            chosen = _as_list(example.labels)
            if self.task == "single":
                answer: dict[str, Any] = {key: chosen[0]}
            elif self.task == "scales":
                answer = {name: example.labels[name] for name in self.labels}  # type: ignore[index]
            else:
                answer = {
                    label.name: _answer_for(label, int(label.name in chosen))
                    for label in self.spec.labels
                }
            messages += self._shot(example, n, answer, self.reasoning)
        messages.append({"role": "user", "content": self._render(None, item, f"item {item_id}")})
        labels = (key,) if self.task == "single" else tuple(self.labels)
        return PromptRequest(
            item_id=item_id,
            key=key,
            labels=labels,
            version=self.version,
            messages=messages,
            schema_name=safe_identifier(f"{self.name}_{key}"),
            schema=schema,
            params=self.defaults,
        )

    def _shot(self, example: Example, n: int, answer: dict, reasoning: bool) -> list[dict]:
        if reasoning:
            answer = {"reasoning": example.reasoning or "", **answer}
        return [
            {"role": "user", "content": self._render(None, example.item, f"example {n}")},
            {"role": "assistant", "content": json.dumps(answer, ensure_ascii=False)},
        ]

    def _render(self, label_index: int | None, fields: Mapping[str, Any], what: str) -> str:
        name = None if label_index is None else self.spec.labels[label_index].name
        template = self._templates[name if name in self._templates else None]
        try:
            return render(template, fields, what)
        except TemplateProblem as exc:
            own = name is not None and name in self._templates
            loc = ("labels", label_index, "template") if own else ("template",)
            raise self.template_error(loc, exc.line, exc.message) from None

    def template_error(self, loc: Path_, line: int | None, message: str) -> RubricError:
        """A RubricError at line `line` of the template written at `loc`."""
        err = self.source.error(loc, message)
        if line is not None and loc in self.source.marks and _is_block(self.source, loc):
            # A block scalar's text starts on the line after its key.
            key_line, _ = self.source.marks[loc]
            err = RubricError(err.message, path=self.path, where=f"{key_line + line}:1")
        return err

    def _value(self, name: str, answer: bool) -> int:
        return (self._labels[name].values or _DEFAULT_VALUES)[answer]


def canonical_json(rubric: Rubric) -> str:
    """The rubric's content as canonical JSON (what `hash` digests)."""
    content = rubric.spec.model_dump(mode="json")
    content.pop("examples_file", None)
    for label in content["labels"]:
        if label.get("categories") is None:
            label.pop("categories", None)  # added with `scales`: older rubrics keep their hash
    # how long to wait for an answer is not what is asked: it leaves the hash (and runs) as is
    content.get("defaults", {}).pop("timeout", None)
    if content["defaults"].get("logprobs") is None:
        # added later: rubrics that do not set it keep the hash their run stores know
        content["defaults"].pop("logprobs", None)
    content["examples"] = [e.model_dump(mode="json") for e in rubric.examples]
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _is_block(source: Source, loc: Path_) -> bool:
    line, _ = source.marks[loc]
    try:
        text = source.path.read_text(encoding="utf-8").splitlines()[line - 1]
    except (OSError, IndexError):
        return False
    return text.rstrip().endswith(("|", "|-", "|+", ">", ">-", ">+"))


def _system(text: str | None) -> list[dict[str, Any]]:
    return [{"role": "system", "content": text}] if text else []


def _describe(label: Label, task: str) -> str:
    lines = [f"{label.name}: {label.definition.strip()}"]
    for sub in label.subcategories:
        lines.append(f"  - {sub.name}: {sub.definition.strip()}")
    for cat in label.categories or []:
        lines.append(f"  - {cat.name}: {cat.definition.strip()}")
    if label.include:
        lines.append("  Includes: " + "; ".join(s.strip() for s in label.include))
    if label.exclude:
        lines.append("  Excludes: " + "; ".join(s.strip() for s in label.exclude))
    if task == "binary":
        lines.insert(0, "Decide whether the label below applies.")
    return "\n".join(lines)


def _answer_line(schema: dict[str, Any]) -> str:
    shape = []
    for name, prop in schema["properties"].items():
        if name == "reasoning":
            shape.append('"reasoning": "<your reasoning>"')
        elif "enum" in prop:
            shape.append(f'"{name}": ' + " | ".join(json.dumps(v) for v in prop["enum"]))
        else:
            shape.append(f'"{name}": true | false')
    return "Answer with a JSON object: {" + ", ".join(shape) + "}"


def _answer_for(label: Label, value: int) -> bool:
    mapping = label.values or _DEFAULT_VALUES
    return next(answer for answer, v in mapping.items() if v == value)


def _as_list(labels: list[str] | str | dict[str, str]) -> list[str]:
    return [labels] if isinstance(labels, str) else list(labels)


def text_id(value: Any) -> str:
    """An item id as the long table writes it: pandas floats such as 7134.0 become "7134"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


__all__ = ["InvalidOutput", "Rubric", "canonical_json"]
