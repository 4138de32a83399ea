"""From answers to annotation rows: logprob confidences and the majority over K samples."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Any

from edukit.prompt import Decision


def label_confidence(
    text: str, decisions: list[Decision], logprobs: list[tuple[str, float]] | None
) -> dict[str, float]:
    """Probability of each chosen value: the product of the probabilities of its tokens.

    The tokens are aligned on their own concatenation, not on the message text: servers strip
    whitespace from the message that the tokens keep (llama-server's leading space or newline),
    and a think block may come first. The value is found in the last `"label": value` of the
    generated text (the answer follows any draft), and every token overlapping the value's
    characters (a label spelled in several tokens) contributes its logprob.
    """
    if not logprobs:
        return {}
    generated = "".join(tok for tok, _ in logprobs)
    starts, pos = [], 0
    for token, _ in logprobs:
        starts.append(pos)
        pos += len(token)
    out: dict[str, float] = {}
    for d in decisions:
        literals = [json.dumps(d.value)]
        if isinstance(d.value, int) and not isinstance(d.value, bool):
            literals.insert(0, json.dumps(bool(d.value)))
        for lit in literals:
            inner = lit[1:-1] if lit.startswith('"') else lit  # a string's characters only
            pattern = rf'"{re.escape(d.label)}"\s*:\s*("?)({re.escape(inner)})\1'
            matches = list(re.finditer(pattern, generated))
            if not matches:
                continue
            lo, hi = matches[-1].span(2)
            total = sum(
                lp
                for (tok, lp), s in zip(logprobs, starts, strict=True)
                if s < hi and s + len(tok) > lo
            )
            out[d.label] = math.exp(total)
            break
    return out


def aggregate(
    group: list[tuple[str, list[Decision], dict[str, float]] | None],
) -> list[dict[str, Any]]:
    """Annotation rows from the K samples of one request: majority value, vote share.

    `group[s]` is (key, decisions, logprob confidences) for a valid sample, None for an invalid
    one. With one sample the confidence is the logprob probability when the server gave one.
    """
    votes: dict[str, list[tuple[int, str, Decision, float | None]]] = {}
    for s, entry in enumerate(group):
        if entry is None:
            continue
        key, decisions, conf = entry
        for d in decisions:
            votes.setdefault(d.label, []).append((s, key, d, conf.get(d.label)))
    rows = []
    for label, vs in votes.items():
        if len(group) == 1:
            s, key, d, conf = vs[0]
        else:
            counts = Counter(json.dumps(v[2].value) for v in vs)
            best = max(counts.values())
            # ties go to the value voted first, so the result does not depend on dict order
            winner = next(
                json.dumps(v[2].value) for v in vs if counts[json.dumps(v[2].value)] == best
            )
            s, key, d, _ = next(v for v in vs if json.dumps(v[2].value) == winner)
            conf = best / len(vs)
        rows.append(
            {
                "label": label,
                "value": d.value,
                "version": d.version,
                "sample": s,
                "reasoning": d.reasoning,
                "confidence": conf,
                "key": key,
            }
        )
    return rows
