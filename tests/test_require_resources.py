"""The CI switch (issue 21, point 17): with EDUKIT_REQUIRE_RESOURCES=1 (.ci/run sets it) a skip for
a missing resource fails; without it the same skips stay clean for a contributor.

A tiny suite, with this repository's tests/conftest.py as its conftest, runs through pytester;
its skips are written the ways the real suite writes them (pytest.skip in a test and in a
fixture, a module-level importorskip, a skipif mark), none of them cooperating with the hook.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")

SUITE = {
    "test_in_test.py": """
import pytest

def test_corpora():
    pytest.skip("Label Studio not available: pip install label-studio")

def test_runs():
    assert True

@pytest.mark.xfail(reason="a known bug, not a resource")
def test_known_bug():
    assert False
""",
    "test_in_fixture.py": """
import pytest

@pytest.fixture
def talkmoves():
    pytest.skip("TalkMoves files not available: see ../shared/data/README.md")

def test_uses_it(talkmoves):
    assert True
""",
    "test_module_level.py": """
import pytest

missing = pytest.importorskip("no_such_module_for_edukit", reason="pip install it")

def test_never_collected():
    assert True
""",
    "test_skipif.py": """
import pytest

@pytest.mark.skipif(True, reason="headless Chromium not installed")
def test_browser():
    assert True
""",
}


@pytest.fixture
def suite(pytester):
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makepyfile(**SUITE)
    return pytester


def test_without_the_variable_resource_skips_stay_clean(suite, monkeypatch):
    monkeypatch.delenv("EDUKIT_REQUIRE_RESOURCES", raising=False)
    result = suite.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=4, xfailed=1)
    assert result.ret == 0


@pytest.mark.parametrize("value", ["0", ""])
def test_zero_or_empty_means_off(suite, monkeypatch, value):
    monkeypatch.setenv("EDUKIT_REQUIRE_RESOURCES", value)
    suite.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1, skipped=4, xfailed=1)


def test_with_the_variable_every_resource_skip_fails(suite, monkeypatch):
    monkeypatch.setenv("EDUKIT_REQUIRE_RESOURCES", "1")
    # a failed collection stops a run before any test; let this one go on to show the others
    result = suite.runpytest("-p", "no:cacheprovider", "--continue-on-collection-errors")
    # a skip in a test body fails; one in a fixture or a skipif mark fails the setup and the
    # module-level importorskip the collection (both errors, as pytest counts them);
    # the xfail is left alone: it is an expectation about the code, not a missing resource
    result.assert_outcomes(passed=1, failed=1, errors=3, xfailed=1)
    assert result.ret != 0
    text = result.stdout.str()
    for reason in (
        "Label Studio not available",
        "TalkMoves files not available",
        "headless Chromium not installed",
        "pip install it",
    ):
        assert reason in text, reason
    assert "a test may not skip for a missing resource" in text


def test_ci_sets_the_variable(repo_root):
    script = (repo_root / ".ci" / "run").read_text(encoding="utf-8")
    assert "export EDUKIT_REQUIRE_RESOURCES=1" in script
