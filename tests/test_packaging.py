"""The wheel must carry every subpackage and the bundled rubrics and samples."""

from __future__ import annotations

import tomllib

from setuptools import find_packages

from edukit.resources import bundled


def test_every_subpackage_is_listed_in_pyproject(repo_root):
    config = tomllib.loads((repo_root / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    found = set(find_packages(str(repo_root), include=["edukit", "edukit.*"]))
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert {"edukit.bundled.rubrics", "edukit.bundled.datasets"} <= listed
    assert config["package-dir"] == {
        "edukit.bundled.rubrics": "rubrics",
        "edukit.bundled.datasets": "datasets",
    }


def test_bundled_files_are_found():
    assert bundled("rubrics", "sight.yaml").is_file()
    assert bundled("datasets", "sight", "sample_dataset.csv").is_file()
    assert bundled("datasets", "mathdial", "test.csv").is_file()
