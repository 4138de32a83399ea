"""A real Label Studio server for the round-trip test (its own virtualenv: its pins differ).

Found at $EDUKIT_LABEL_STUDIO (a virtualenv folder or the `label-studio` executable), else at
../venvs/labelstudio next to the checkout. Install it with
`python3 -m venv VENV && VENV/bin/pip install "label-studio==1.23.2" "sentry-sdk<3"`.
The server runs on 127.0.0.1 with its SQLite default in a temporary folder, with Sentry, the
PyPI version check and analytics off (no network). The first start runs its migrations (~60 s).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSTALL = (
    "python3 -m venv ../venvs/labelstudio && ../venvs/labelstudio/bin/pip install "
    '"label-studio==1.23.2" "sentry-sdk<3" (or set EDUKIT_LABEL_STUDIO)'
)


def executable() -> Path | None:
    """The `label-studio` executable, or None when it is not installed."""
    given = os.environ.get("EDUKIT_LABEL_STUDIO")
    base = Path(given) if given else ROOT.parent / "venvs" / "labelstudio"
    exe = base / "bin" / "label-studio" if base.is_dir() else base
    return exe if exe.is_file() and os.access(exe, os.X_OK) else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LabelStudio:
    url: str
    process: subprocess.Popen
    log: Path

    def user(self, email: str, password: str) -> dict[str, str]:
        """Sign a new user up through the web form, as a person would, and return API headers
        with a personal access token (JWT refresh token -> access token, Label Studio 1.23's
        current flow; legacy tokens stay disabled)."""
        import requests

        web = requests.Session()
        web.get(f"{self.url}/user/signup/", timeout=30).raise_for_status()
        r = web.post(
            f"{self.url}/user/signup/",
            data={
                "email": email,
                "password": password,
                "csrfmiddlewaretoken": web.cookies.get("csrftoken"),
            },
            headers={"Referer": f"{self.url}/user/signup/"},
            allow_redirects=False,
            timeout=30,
        )
        assert r.status_code == 302, f"sign-up failed: {r.status_code} {r.text[:300]}"
        csrf = {"X-CSRFToken": web.cookies.get("csrftoken"), "Referer": f"{self.url}/"}
        r = web.post(f"{self.url}/api/token/", headers=csrf, timeout=30)
        assert r.status_code == 201, f"personal access token: {r.status_code} {r.text[:300]}"
        refresh = r.json()["token"]
        r = requests.post(f"{self.url}/api/token/refresh/", json={"refresh": refresh}, timeout=30)
        r.raise_for_status()
        return {"Authorization": f"Bearer {r.json()['access']}"}

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start(exe: Path, data_dir: Path, timeout: float = 300) -> LabelStudio:
    import requests

    port = _free_port()
    env = {
        **os.environ,
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "false",
        "HOME": str(data_dir),  # nothing lands in the user's ~/.local/share/label-studio
    }
    log = data_dir / "label-studio.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [str(exe), "start", "--no-browser", "--internal-host", "127.0.0.1", "-p", str(port)],
            cwd=data_dir,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = LabelStudio(f"http://127.0.0.1:{port}", proc, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text()[-2000:]
            raise RuntimeError(f"Label Studio exited ({proc.returncode}): {tail}")
        try:
            if requests.get(f"{server.url}/health", timeout=2).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(1)
    server.stop()
    raise RuntimeError(f"Label Studio did not start in {timeout:.0f} s: {log.read_text()[-2000:]}")
