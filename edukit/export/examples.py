"""From utterance rows to training examples: clean-up, move selection, units, system prompts.

Everything here is format-neutral: an `Example` is a system prompt plus role/content messages
(the trained role is `assistant`), each assistant message marked trained or not. `formats.py`
turns examples into the JSON lines of one trainer.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from edukit import sandbox
from edukit.errors import ExportError
from edukit.sandbox import TemplateProblem

CLEANUP_STEPS = ("tag_only", "duplicates", "merge")
GROUNDING_FIELDS = (
    "question",
    "ground_truth",
    "student_incorrect_solution",
    "student_profile",
    "teacher_described_confusion",
)
DEFAULT_GROUNDING = {
    "teacher": ("question", "ground_truth", "student_incorrect_solution"),
    "student": ("question", "student_incorrect_solution", "student_profile"),
}
MOVES_4 = ("focus", "probing", "telling", "generic")
# MathDial (Macina et al. 2023) groups Focus and Probing as scaffolding moves; annotators
# confused the two often, so the 3-way taxonomy merges them.
TAXONOMY_3 = {"focus": "scaffolding", "probing": "scaffolding"}
NO_MOVE = "none"

_HEADINGS = {
    "question": "Problem",
    "ground_truth": "Correct solution",
    "student_incorrect_solution": "Student's incorrect solution",
    "student_profile": "Student profile",
    "teacher_described_confusion": "The student's confusion (as described by a teacher)",
}
DEFAULT_SYSTEM = {
    "teacher": (
        "You are a math teacher tutoring a student who has made a mistake. Help the student find "
        "and fix it themselves; do not give away the answer."
    ),
    "student": (
        "You are {{ student_name or 'a student' }}, a student who has solved a math word problem "
        "incorrectly and is now talking with a teacher."
    ),
}
_STUDENT_HEADINGS = {
    "student_incorrect_solution": "Your solution",
    "student_profile": "About you",
}


@dataclass
class Turn:
    """One (possibly merged) utterance after clean-up."""

    speaker: str
    parts: list[str]
    move: str | None  # None: no accepted move (unannotated, or below --min-confidence)
    item_ids: list[str]

    @property
    def text(self) -> str:
        return "\n".join(p.strip() for p in self.parts)


@dataclass
class Message:
    """One chat message of an example (format-neutral)."""

    role: str  # "user" or "assistant" (the system prompt lives on the Example)
    content: str
    train: bool = False  # assistant messages only: is this a training target?
    move: str | None = None  # assistant messages: the move that selects or weights it


@dataclass
class Example:
    """One training example: a system prompt and the messages, its trained targets marked."""

    dialogue_id: str
    qid: str
    system: str
    messages: list[Message]

    @property
    def targets(self) -> list[Message]:
        return [m for m in self.messages if m.role == "assistant" and m.train]


@dataclass
class BuildOptions:
    """The checked export options the builder reads (see `check_options`)."""

    unit: str = "turn"
    role: str = "teacher"
    grounding: tuple[str, ...] | None = None
    system_template: str | None = None
    moves: frozenset[str] | None = None
    move_token: str | None = None
    taxonomy: int = 4
    move_weights: Mapping[str, int] = field(default_factory=dict)
    cleanup: tuple[str, ...] = CLEANUP_STEPS
    opener: str = "(The tutoring session starts.)"
    require_moves: bool = False  # moves come from annotations: unannotated turns are not targets


def map_move(move: str | None, taxonomy: int) -> str | None:
    """A move in the chosen taxonomy (3: focus and probing become `scaffolding`)."""
    if move is None:
        return None
    move = move.strip().lower()
    return TAXONOMY_3.get(move, move) if taxonomy == 3 else move


def clean_turns(rows: Iterable[Mapping], steps: Sequence[str], counts: Counter) -> list[Turn]:
    """Apply the clean-up steps in order (empty turns, duplicates, merge) and count each drop.

    `rows` are one dialogue's utterances in turn order with keys speaker, text, move, item_id.
    Counters are keyed `<step>:<speaker>` so that dropped teacher turns can be reconciled.
    An empty turn with `tag_only` switched off raises `ExportError` (no format allows it).
    """
    out: list[Turn] = []
    for row in rows:
        speaker, text = row["speaker"], _clean_value(row["text"])
        # Missing moves arrive as None, NaN or "" depending on the table's dtype.
        move = row["move"] if isinstance(row["move"], str) and row["move"].strip() else None
        if not text.strip():
            if "tag_only" not in steps:
                raise ExportError(
                    f"turn {row['item_id']} has no text (a tag-only turn) and no format allows "
                    "empty messages: keep the 'tag_only' clean-up step"
                )
            counts[f"tag_only:{speaker}"] += 1
            continue
        last = out[-1] if out else None
        same = last is not None and last.speaker == speaker
        if same and "duplicates" in steps and last.parts[-1].strip() == text.strip():
            counts[f"duplicates:{speaker}"] += 1
            continue
        if same and "merge" in steps:
            # The merged turn keeps the move it opened with; a later part only fills a gap.
            last.parts.append(text)
            last.item_ids.append(row["item_id"])
            if last.move is None:
                last.move = move
            counts[f"merge:{speaker}"] += 1
            continue
        out.append(Turn(speaker, [text], move, [row["item_id"]]))
    return out


def system_prompt(dialogue: Mapping, opts: BuildOptions) -> str:
    """Render the system prompt: the role's instructions plus the chosen grounding fields."""
    grounding = opts.grounding if opts.grounding is not None else DEFAULT_GROUNDING[opts.role]
    values = {k: _clean_value(v) for k, v in dialogue.items()}
    fields = {name: values.get(name, "") for name in grounding}
    if opts.system_template is not None:
        template = _template(opts.system_template, strict=True)
        what = f"dialogue {dialogue.get('dialogue_id', '?')}"
        try:
            return sandbox.render(template, {**values, "grounding": fields}, what).strip()
        except TemplateProblem as exc:
            raise ExportError(f"template: {exc.message}", where=exc.line) from None
    headings = _HEADINGS | (_STUDENT_HEADINGS if opts.role == "student" else {})
    head = sandbox.render(_template(DEFAULT_SYSTEM[opts.role]), values, "the default prompt")
    blocks = [head] + [f"{headings[k]}:\n{v}" for k, v in fields.items() if v]
    return "\n\n".join(blocks)


def check_template(source: str) -> None:
    """Refuse an unsafe or malformed system template (ExportError at its line) before any work."""
    _template(source, strict=True)


@functools.lru_cache(maxsize=16)
def _template(source: str, strict: bool = False) -> Any:
    # Compiled once per export, not once per dialogue; the same sandbox as rubric templates.
    try:
        return sandbox.compile_template(source, strict=strict)
    except TemplateProblem as exc:
        raise ExportError(f"template: {exc.message}", where=exc.line) from None


def _clean_value(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def build_examples(
    dialogue: Mapping, turns: list[Turn], opts: BuildOptions, counts: Counter
) -> list[Example]:
    """Examples of one cleaned dialogue under the options; skipped targets are counted."""
    other = "student" if opts.role == "teacher" else "teacher"
    msgs: list[Message] = []
    prev_teacher_move: str | None = None
    for turn in turns:
        move = map_move(turn.move, opts.taxonomy) if turn.speaker == "teacher" else None
        if turn.speaker == opts.role:
            # A student reply is selected by the teacher move it answers.
            target_move = move if opts.role == "teacher" else prev_teacher_move
            msgs.append(
                Message("assistant", turn.text, _keep(target_move, opts, counts), target_move)
            )
        elif turn.speaker == other:
            msgs.append(Message("user", turn.text))
        if turn.speaker == "teacher":
            prev_teacher_move = move
    if msgs and msgs[0].role == "assistant":
        # Chat formats (and LLaMA-Factory's alternation) need the user to speak first.
        msgs.insert(0, Message("user", opts.opener))
        counts["opener_inserted"] += 1
    _add_move_tokens(msgs, opts)
    system = system_prompt(dialogue, opts)
    did, qid = str(dialogue["dialogue_id"]), str(dialogue["qid"])
    if opts.unit == "dialogue":
        last = max((i for i, m in enumerate(msgs) if m.train), default=None)
        if last is None:
            counts["dialogues_without_target"] += 1
            return []
        return [Example(did, qid, system, msgs[: last + 1])]
    examples = []
    for i, m in enumerate(msgs):
        if m.train:
            history = [Message(h.role, h.content, False, h.move) for h in msgs[:i]]
            examples.append(Example(did, qid, system, [*history, m]))
    return examples


def _keep(move: str | None, opts: BuildOptions, counts: Counter) -> bool:
    if move is None and opts.require_moves:
        counts["skipped:unannotated"] += 1
        return False
    if opts.moves is not None and (move or NO_MOVE) not in opts.moves:
        counts["skipped:move_not_selected"] += 1
        return False
    if opts.move_weights.get(move or NO_MOVE, 1) == 0:
        counts["skipped:zero_weight"] += 1
        return False
    return True


def _add_move_tokens(msgs: list[Message], opts: BuildOptions) -> None:
    if opts.move_token is None:
        return
    for i, m in enumerate(msgs):
        if m.role != "assistant":
            continue
        token = f"<{m.move or NO_MOVE}>"
        if opts.move_token == "target":
            m.content = f"{token} {m.content}"
        elif i > 0 and msgs[i - 1].role == "user":
            # The control code tells the model which move to make next.
            msgs[i - 1].content = f"{token} {msgs[i - 1].content}"
