"""The whole pipeline on the bundled samples, offline by default: `edukit quickstart`.

SIGHT-format comments with two human raters → the offline baseline trained on H1's labels for the
train split annotates the test split (and, with `model`, an LLM through the annotation engine) →
agreement of the humans with each other and with the models (JSON + HTML report); MathDial-format
dialogues → a small fine-tuning set. Every output path is returned in `QuickstartResult`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edukit.errors import EdukitError
from edukit.resources import bundled

if TYPE_CHECKING:
    import pandas as pd

SIGHT_SAMPLE = ("sight", "sample_dataset.csv")
MATHDIAL_SAMPLE = ("mathdial", "test.csv")
RUBRIC = "sight.yaml"
TRAIN_RATER = "H1"
HUMANS = ("H1", "H2")
BASELINE = "local:tfidf-logreg"
EXPORT_FORMAT = "openai-chat"


@dataclass
class QuickstartResult:
    """Where every output went, the headline figures, and any step that was skipped (and why)."""

    dest: Path
    outputs: dict[str, Path] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0


class _Steps:
    """A rich progress display of the pipeline's steps (silent when `show` is false)."""

    def __init__(self, total: int, show: bool) -> None:
        self._progress = None
        if show:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._task = self._progress.add_task("quickstart", total=total)

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        if self._progress is None:
            yield
            return
        self._progress.update(self._task, description=description)
        yield
        self._progress.advance(self._task)

    def __enter__(self) -> _Steps:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description="quickstart done")
            self._progress.stop()


def run_quickstart(
    dest: str | os.PathLike,
    *,
    model: str | None = None,
    base_url: str | None = None,
    progress: bool = True,
) -> QuickstartResult:
    """Run the pipeline on the bundled samples into `dest`; return the outputs and figures.

    Offline unless `model` is given, in which case the test comments are also annotated by that
    model through `edukit.annotate.engine.annotate` with the bundled `rubrics/sight.yaml`
    (`base_url` for any OpenAI-compatible server; the key comes from OPENAI_API_KEY).
    """
    if base_url and not model:
        raise EdukitError("--base-url needs --model: name the model the server runs")
    from edukit.paths import check_folder, make_folder

    started = time.perf_counter()
    out = Path(dest)
    check_folder(out, "--dir")
    make_folder(out, "--dir")
    result = QuickstartResult(dest=out)
    steps: list[tuple[str, Callable[[QuickstartResult, dict[str, Any]], None]]] = [
        ("load the SIGHT sample", _load_sight),
        ("train and run the offline baseline", _baseline),
    ]
    if model:
        steps.append((f"annotate with {model}", _llm(model, base_url)))
    steps += [
        ("agreement: humans and models", _agreement),
        ("HTML report", _report),
        ("fine-tuning export from the MathDial sample", _export),
    ]
    state: dict[str, Any] = {"model": model}
    with _Steps(len(steps), progress) as bar:
        for description, run in steps:
            with bar.step(description):
                run(result, state)
    result.seconds = round(time.perf_counter() - started, 2)
    result.summary["seconds"] = result.seconds
    return result


def _load_sight(result: QuickstartResult, state: dict[str, Any]) -> None:
    from edukit.corpora.sight import read_sight

    path = bundled("datasets", *SIGHT_SAMPLE)
    sight = read_sight(path)
    items = sight.items  # the SIGHT rubric's prompts use the `comment` column
    split = items["datasplit"].astype(str)
    ann = sight.annotations
    humans = ann[ann["rater"].isin(HUMANS)]
    state.update(
        sight_path=path,
        train_items=items[split == "train"].reset_index(drop=True),
        test_items=items[split == "test"].reset_index(drop=True),
        humans=humans,
    )
    if state["train_items"].empty or state["test_items"].empty:
        raise EdukitError("the SIGHT sample needs 'train' and 'test' rows in datasplit", path=path)
    result.summary.update(
        sight_sample=str(path),
        train_comments=len(state["train_items"]),
        test_comments=len(state["test_items"]),
    )


def _trainable_labels(humans: pd.DataFrame, train_ids: set[str]) -> tuple[list[str], list[str]]:
    """Labels with both classes in H1's train-split labels (the others cannot be learned)."""
    rows = humans[(humans["rater"] == TRAIN_RATER) & humans["item_id"].isin(train_ids)]
    classes = rows.groupby("label", sort=False)["value"].nunique()
    return [k for k, n in classes.items() if n >= 2], [k for k, n in classes.items() if n < 2]


def _baseline(result: QuickstartResult, state: dict[str, Any]) -> None:
    from edukit.annotate.baseline import train_and_annotate
    from edukit.corpora.tables import write_table

    train_ids = set(state["train_items"]["item_id"].astype(str))
    labels, untrainable = _trainable_labels(state["humans"], train_ids)
    if untrainable:
        result.skipped.append(
            f"baseline: labels {', '.join(untrainable)} have one class in {TRAIN_RATER}'s "
            "training labels and were not learned"
        )
    predicted = train_and_annotate(
        state["test_items"],
        state["humans"],
        train_rater=TRAIN_RATER,
        labels=labels,
        train_items=state["train_items"],
        text_col="comment",
    )
    path = result.dest / "baseline_annotations.csv"
    write_table(predicted, path)
    result.outputs["baseline annotations"] = path
    state["model_rows"] = [predicted]
    state["labels"] = labels
    result.summary.update(baseline_labels=labels, baseline_rows=len(predicted))


def _llm(model: str, base_url: str | None) -> Callable[[QuickstartResult, dict[str, Any]], None]:
    def run(result: QuickstartResult, state: dict[str, Any]) -> None:
        from edukit.annotate.engine import annotate
        from edukit.corpora.tables import write_table
        from edukit.rubric import load_rubric

        rubric = load_rubric(bundled("rubrics", RUBRIC))
        run_db = result.dest / "runs.sqlite"
        outcome = annotate(
            state["test_items"], rubric, model, base_url=base_url, run_db=run_db, quiet=True
        )
        table = outcome.annotations
        path = result.dest / "model_annotations.csv"
        write_table(table, path)
        result.outputs["model annotations"] = path
        result.outputs["run store"] = run_db
        state["model_rows"].append(table)
        result.summary.update(
            model=model, model_requests=outcome.counts, model_cost_usd=outcome.cost
        )
        state["llm_done"] = True

    return run


def _combined(state: dict[str, Any]) -> pd.DataFrame:
    """Humans on the test split next to every model's rows, in the long table's columns."""
    import pandas as pd

    test_ids = set(state["test_items"]["item_id"].astype(str))
    humans = state["humans"][state["humans"]["item_id"].isin(test_ids)]
    frames = [humans, *state.get("model_rows", [])]
    return pd.concat(frames, ignore_index=True)


def _agreement(result: QuickstartResult, state: dict[str, Any]) -> None:
    from edukit.agreement.compare import compare
    from edukit.corpora.tables import write_table

    combined = _combined(state)
    path = result.dest / "annotations.csv"
    write_table(combined, path)
    result.outputs["annotations (humans + models, test split)"] = path
    models = [BASELINE] + ([state["model"]] if state.get("llm_done") else [])
    labels = list(state.get("labels") or [])
    if state.get("llm_done"):
        # Agreement is computed on the labels every model rated: the rubric may name fewer.
        rated = set(state["model_rows"][-1]["label"].astype(str))
        left_out = [lab for lab in labels if lab not in rated]
        labels = [lab for lab in labels if lab in rated]
        if left_out:
            result.skipped.append(
                f"agreement: labels {', '.join(left_out)} are not in rubric {RUBRIC}, so the "
                "report leaves them out (the baseline's values stay in baseline_annotations.csv)"
            )
    comparison = compare(combined, humans=list(HUMANS), models=models, labels=labels)
    state["comparison"] = comparison
    path = result.dest / "agreement.json"
    path.write_text(_json(comparison.to_json()), encoding="utf-8")
    result.outputs["agreement (JSON)"] = path
    result.summary["agreement"] = {
        name: {
            "human_human": _num(lab.human_human.value),
            **{m: _num(lab.human_model_mean[m].value) for m in comparison.models},
        }
        for name, lab in comparison.labels.items()
    }
    result.summary["agreement_metric"] = comparison.metric


def _num(x: float) -> float | None:
    return None if x != x else round(float(x), 3)  # NaN (undefined) becomes None


def _json(obj: Any) -> str:
    if isinstance(obj, str):
        json.loads(obj)  # must already be JSON
        return obj
    return json.dumps(obj, indent=2, ensure_ascii=False)


def _report(result: QuickstartResult, state: dict[str, Any]) -> None:
    from edukit.report import write_html

    path = result.dest / "report.html"
    command = "edukit quickstart" + (f" --model {state['model']}" if state["model"] else "")
    inputs = [state["sight_path"], result.outputs["annotations (humans + models, test split)"]]
    write_html(state["comparison"], path, command=command, inputs=inputs)
    result.outputs["report (HTML)"] = path


def _export(result: QuickstartResult, state: dict[str, Any]) -> None:
    from edukit.corpora.mathdial import read_mathdial
    from edukit.export import export_finetune

    path = bundled("datasets", *MATHDIAL_SAMPLE)
    corpus = read_mathdial(path)
    folder = result.dest / "finetune"
    manifest = export_finetune(
        corpus.dialogues,
        corpus.utterances,
        format=EXPORT_FORMAT,
        out_dir=folder,
        inputs=[path],
        name="quickstart_tutor",
    )
    for split, file in manifest.files.items():
        result.outputs[f"fine-tuning {split} set ({EXPORT_FORMAT})"] = folder / file
    result.outputs["fine-tuning manifest"] = folder / "manifest.json"
    result.summary["finetune_examples"] = {
        split: counts.get("examples", 0) for split, counts in manifest.counts.items()
    }
    state["export_format"] = EXPORT_FORMAT
