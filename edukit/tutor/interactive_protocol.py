"""The conversation protocol of MathDial's interactive evaluation, for chat models.

MathDial's baseline (Macina et al., Findings of EMNLP 2023; `interactivetutoring/gpt_baseline.py`)
opens with a fixed teacher greeting asking the student to walk through its solution, then lets
the simulated student and the tutor alternate for N rounds. The student is prompted with the
problem, its incorrect solution and a persona, at temperature 0, and stops at the teacher's
prefix; speaker prefixes and `<EOM>` tags it echoes are removed. Here both sides are chat
requests: each model sees itself as `assistant` and the other side as `user`.

The tutor's system prompt is the one `edukit export finetune` trains with (the same function
renders it), so a tuned tutor is evaluated under the prompt it learned.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from edukit.prompt import Decision, PromptRequest
from edukit.tutor.success import EOM, STUDENT, TEACHER

PROTOCOL_VERSION = "1"
DEFAULT_STUDENT_NAME = "Kayla"  # MathDial's default student
DEFAULT_PERSONA = (
    "{name} is a 7th grade student. She has trouble understanding which steps or procedures a "
    "problem requires."
)
GREETING = "Hi {name}! Could you walk me through your solution?"
STUDENT_SYSTEM = """\
You play {name}, a student talking with a math teacher about a word problem you solved \
incorrectly.

Student persona: {persona}

Math problem: {question}

{name}'s solution: {solution}

{name} thinks this answer is correct. Only when the teacher asks several good reasoning \
questions does {name} understand the problem and correct the solution. {name} can use a \
calculator and so makes no calculation errors. Write only {name}'s next message."""
MAX_TOKENS = 512  # MathDial's per-turn limit
# A turn is cut at this many characters per --max-tokens token: tokens average ~4 characters
# and the longest in common vocabularies (runs of spaces or `=`) reach 16-32, so only a server
# that ignores max_tokens is cut; it must not feed megabytes back into every later request.
CHARS_PER_TOKEN_CAP = 32
REQUIRED = ("question", "ground_truth", "student_incorrect_solution")

_NAME = re.compile(r"\s*([^\W\d_][\w'’-]*)")
_THINK = re.compile(r"<think>.*?</think>", re.S)


def student_name(profile: str | None) -> str:
    """The student's name: the first word of a MathDial profile ("Mariana is a 7th grade ...")."""
    m = _NAME.match(profile or "")
    return m.group(1) if m else DEFAULT_STUDENT_NAME


def clean_turn(text: str, speakers: tuple[str, ...]) -> str:
    """A model's message as a turn: no reasoning block, `<EOM>` tags or echoed speaker prefixes.

    Tags are removed to a fixed point: `<E<EOM>OM>` loses both, so no tag is left to split the
    turn (an injected `Teacher:` turn would be credited to the tutor)."""
    text = _THINK.sub("", text)
    while EOM in text:
        text = text.replace(EOM, "")
    text = text.strip()
    lowered = [f"{s.lower()}:" for s in speakers if s]
    changed = True
    while changed:  # "Student: Kayla: ..." loses both
        changed = False
        for prefix in lowered:
            if text.lower().startswith(prefix):
                text = text[len(prefix) :].strip()
                changed = True
    return text


@dataclass
class Conversation:
    """One problem's conversation so far: (speaker, text) turns, teacher first."""

    conversation_id: str
    fields: dict[str, str]
    name: str
    persona: str
    tutor_system: str
    turns: list[tuple[str, str]] = field(default_factory=list)
    failed: bool = False  # a turn could not be obtained in this run (resumed next run)
    error: str | None = None  # why (the server's message)
    permanent: bool = False  # asking again cannot help (HTTP 4xx, an unusable answer)

    def mathdial(self) -> str:
        """The conversation as MathDial writes it: `Teacher: ...<EOM>Student: ...`."""
        return EOM.join(f"{s}: {_one_line(t)}" for s, t in self.turns)


def _one_line(text: str) -> str:
    # MathDial's runner writes newlines inside a message as a literal backslash-n
    return text.replace("\r\n", "\n").replace("\n", "\\n")


@dataclass(frozen=True)
class Side:
    """One side of the conversation, seen by the engine's recorder as a rubric.

    Each item carries its ready-made request; `decode` turns the model's text into a turn.
    """

    role: str  # "tutor" or "student"
    speaker: str  # "Teacher" or "Student"
    params: tuple[tuple[str, Any], ...]
    prompt: str  # what defines the side's requests (hashed into the run identity)
    task = "turn"
    defaults: Mapping[str, Any] = field(default_factory=dict)
    max_chars: int | None = None  # the turn cap (characters); None: uncapped

    @property
    def max_tokens(self) -> int:
        return int(dict(self.params).get("max_tokens", MAX_TOKENS))

    @property
    def name(self) -> str:
        return f"interactive-{self.role}"

    @property
    def version(self) -> str:
        return PROTOCOL_VERSION

    @property
    def hash(self) -> str:
        payload = f"{self.name}\x1f{PROTOCOL_VERSION}\x1f{self.params!r}\x1f{self.prompt}"
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def requests(self, item: Mapping[str, Any]) -> list[PromptRequest]:
        return [item["request"]]

    def decode(self, request: PromptRequest, obj: Any) -> list[Decision]:
        return [Decision("turn", self.turn(request, obj)[0], PROTOCOL_VERSION)]

    def turn(self, request: PromptRequest, obj: Any) -> tuple[str, bool]:
        """The model's message as this side's turn, and whether the cap cut it."""
        speakers = (self.speaker, *request.labels)  # labels: [the speaker's name]
        text = str(obj)
        cap = self.max_chars
        if cap is None:
            return clean_turn(text, speakers), False
        # cut before cleaning too: nested tags in a huge reply would take quadratic time
        text = clean_turn(text[: 2 * cap + 64], speakers)
        cut = len(text) > cap or len(str(obj)) > 2 * cap + 64
        return (text[:cap].rstrip() if cut else text), cut

    def request(self, conv: Conversation) -> PromptRequest:
        """The chat request for this side's next turn in `conv`."""
        if self.role == "student":
            system = STUDENT_SYSTEM.format(
                name=conv.name,
                persona=conv.persona,
                question=conv.fields["question"],
                solution=conv.fields["student_incorrect_solution"],
            )
            own, names = STUDENT, (conv.name,)
        else:
            system, own, names = conv.tutor_system, TEACHER, ()
        messages: list[dict[str, Any]] = [{"role": "system", "content": system}]
        if self.role == "tutor" and conv.turns and conv.turns[0][0] == TEACHER:
            from edukit.export.examples import BuildOptions

            # as in the fine-tuning export: the user speaks first
            messages.append({"role": "user", "content": BuildOptions().opener})
        for speaker, text in conv.turns:
            messages.append({"role": "assistant" if speaker == own else "user", "content": text})
        return PromptRequest(
            item_id=f"{conv.conversation_id}:{len(conv.turns)}",
            key="turn",
            labels=names,
            version=PROTOCOL_VERSION,
            messages=messages,
            schema_name="turn",
            schema={},  # free text: the client sends a plain chat request (no response_format)
            params=dict(self.params),
        )


def side(
    role: str,
    max_tokens: int = MAX_TOKENS,
    tutor_template: str | None = None,
    tutor_grounding: Sequence[str] | None = None,
) -> Side:
    """The tutor or the student side (temperature 0, a stop at the other side's prefix)."""
    other = STUDENT if role == "tutor" else TEACHER
    params = (
        ("max_tokens", max_tokens),
        ("stop", [f"{other}:", f"{other.lower()}:"]),
        ("temperature", 0),
    )
    if role == "student":
        prompt = f"{STUDENT_SYSTEM}\x1f{DEFAULT_PERSONA}"
    else:
        grounding = "default" if tutor_grounding is None else ",".join(tutor_grounding)
        prompt = f"{GREETING}\x1f{tutor_template or ''}\x1f{grounding}"
    cap = max_tokens * CHARS_PER_TOKEN_CAP
    return Side(role, TEACHER if role == "tutor" else STUDENT, params, prompt, max_chars=cap)


def tutor_system_prompt(
    fields: Mapping[str, Any],
    template: str | None = None,
    grounding: Sequence[str] | None = None,
) -> str:
    """The tutor's system prompt for one problem, rendered as `edukit export finetune` does.

    `template` and `grounding` are that command's `--system-template` (its text) and
    `--grounding` (None: the teacher's default fields).
    """
    from edukit.export.examples import BuildOptions, system_prompt

    opts = BuildOptions(
        role="teacher",
        system_template=template,
        grounding=tuple(grounding) if grounding is not None else None,
    )
    return system_prompt(fields, opts)


def start(
    conversation_id: str,
    fields: Mapping[str, str],
    tutor_template: str | None = None,
    tutor_grounding: Sequence[str] | None = None,
) -> Conversation:
    """A conversation opened by the teacher's fixed greeting."""
    profile = (fields.get("student_profile") or "").strip()
    name = student_name(profile) if profile else DEFAULT_STUDENT_NAME
    persona = profile or DEFAULT_PERSONA.format(name=name)
    conv = Conversation(
        conversation_id=conversation_id,
        fields=dict(fields),
        name=name,
        persona=persona,
        # the id names the problem in a template error; a field of the same name wins
        tutor_system=tutor_system_prompt(
            {"dialogue_id": conversation_id, **fields}, tutor_template, tutor_grounding
        ),
    )
    conv.turns.append((TEACHER, GREETING.format(name=name)))
    return conv
