"""ppi-python pulls numba (seconds to import): `edukit --help` and `edukit estimate --help` must
not import it, nor statsmodels."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("args", [["--help"], ["estimate", "--help"], ["relate", "--help"]])
def test_help_does_not_import_the_estimators(args):
    code = (
        "import sys; from edukit.cli import main\n"
        f"main({args!r})\n"
        "heavy = [m for m in ('ppi_py', 'numba', 'statsmodels', 'pandas') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "HEAVY="
