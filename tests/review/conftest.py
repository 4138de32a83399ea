"""Fixtures of the review tests: the real Label Studio server (session-wide), sample data."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _load(name: str):
    # tests run with --import-mode=importlib, so helper modules are loaded by path
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


labelstudio_server = _load("labelstudio_server")


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory):
    """A running Label Studio 1.23 (skips cleanly when it is not installed)."""
    exe = labelstudio_server.executable()
    if exe is None:
        pytest.skip(f"Label Studio not available: {labelstudio_server.INSTALL}")
    try:
        import requests  # noqa: F401
    except ImportError:
        pytest.skip("Label Studio not available: the test talks to it with requests")
    server = labelstudio_server.start(exe, tmp_path_factory.mktemp("label-studio"))
    yield server
    server.stop()


MOVES = ("focus", "probing", "telling", "generic")


@pytest.fixture(scope="session")
def mathdial_models(tmp_path_factory):
    """Two model raters' moves with confidences on the bundled MathDial sample's teacher turns
    (seeded), as a long annotation file; returns (path, DataFrame)."""
    import numpy as np
    import pandas as pd

    from edukit.corpora.detect import load_items

    items = load_items("sample:mathdial")
    rng = np.random.default_rng(24)
    rows = [
        {
            "item_id": i,
            "rater": model,
            "label": "move",
            "value": MOVES[int(rng.integers(len(MOVES)))],
            "version": "1.0",
            "confidence": round(float(rng.uniform(0.3, 1.0)), 4),
        }
        for i in items["item_id"]
        for model in ("model-a", "model-b")
    ]
    df = pd.DataFrame(rows)
    path = tmp_path_factory.mktemp("models") / "moves.csv"
    df.to_csv(path, index=False)
    return path, df
