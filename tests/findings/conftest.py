"""ppi-python compiles its OLS statistics with numba (about 15 s on a busy machine): the tests
run them as plain Python, which gives the same numbers on these small inputs."""

from __future__ import annotations

import os

os.environ.setdefault("NUMBA_DISABLE_JIT", "1")
