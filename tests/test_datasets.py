"""The catalogue and the downloader, against a local Range-capable HTTP server over ../shared."""

from __future__ import annotations

import hashlib
import http.server
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import pytest

from edukit.datasets import CATALOGUE, fetch, get_dataset
from edukit.errors import InputError


@dataclass
class Server:
    """What the test server saw and how it misbehaves."""

    root: Path
    url: str = ""
    requests: list[tuple[str, str | None]] = field(default_factory=list)  # (path, Range)
    corrupt: set[str] = field(default_factory=set)  # paths served with one byte flipped
    cut_once: set[str] = field(default_factory=set)  # paths whose next reply stops halfway
    ignore_range: bool = False  # answer every request with the whole file (200)
    length: str | None = None  # a Content-Length header to send instead of the true one


def _handler(server: Server) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep pytest output clean
            pass

        def do_GET(self) -> None:
            rel = unquote(self.path.lstrip("/"))
            server.requests.append((rel, self.headers.get("Range")))
            path = server.root / rel
            if not path.is_file():
                self.send_error(404)
                return
            data = path.read_bytes()
            if rel in server.corrupt:
                data = data[:-1] + bytes([data[-1] ^ 1])
            start, status = 0, 200
            rng = None if server.ignore_range else self.headers.get("Range")
            if rng:
                start = int(rng.removeprefix("bytes=").split("-")[0])
                if start >= len(data):
                    self.send_error(416)
                    return
                status = 206
            body = data[start:]
            self.send_response(status)
            self.send_header("Content-Length", server.length or str(len(body)))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            if rel in server.cut_once:
                server.cut_once.discard(rel)
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


@pytest.fixture
def server(shared_data):
    state = Server(root=shared_data)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_catalogue_checksums_match_the_published_copies(shared_data):
    for name in ("mathdial", "sight"):
        files = get_dataset(name).files
        assert {f.path for f in files} == {
            p.relative_to(shared_data / name).as_posix()
            for p in (shared_data / name).rglob("*")
            if p.is_file()
        }
        for f in files:
            assert sha(shared_data / name / f.path) == f.sha256, f.path


def test_catalogue_urls_point_at_github_raw():
    sight = {f.path: f.url for f in get_dataset("sight").files}
    assert len(sight) == 870
    base = "https://raw.githubusercontent.com/rosewang2008/sight/1097cf45af6bc027c967c2dfbcdcd9332516a19d"
    assert sight["annotations/sample_dataset.csv"] == f"{base}/data/annotations/sample_dataset.csv"
    assert sight["LICENSE"] == f"{base}/LICENSE"
    assert sight["prompts/bin_zeroshot/label_prompts/v39_general.txt"] == (
        f"{base}/prompts/bin_zeroshot/label_prompts/v39_general.txt"
    )
    mathdial = {f.path: f.url for f in get_dataset("mathdial").files}
    assert set(mathdial) == {"test.csv", "test.jsonl", "example.jsonl"}
    assert all(
        u.startswith("https://raw.githubusercontent.com/eth-nlped/mathdial/")
        for u in mathdial.values()
    )
    assert mathdial["test.csv"].endswith("/data/test.csv")


def test_unknown_dataset_is_user_error(cli, tmp_path):
    with pytest.raises(
        InputError, match="unknown dataset 'nope'; known: mathdial, sight, talkmoves"
    ):
        get_dataset("nope")
    r = cli("datasets", "fetch", "nope", "--dest", tmp_path)
    assert r.code == 2
    assert r.err.strip() == "Error: unknown dataset 'nope'; known: mathdial, sight, talkmoves"


def test_list_command(cli):
    r = cli("datasets", "list")
    assert r.code == 0
    for ds in CATALOGUE.values():
        assert f"{ds.name}: {ds.title}" in r.out
        assert f"licence:  {ds.licence}" in r.out
        assert ds.homepage in r.out
    assert "Wang, R. E., Wirawarn, P., Goodman, N., & Demszky, D. (2023)" in r.out
    assert "CC BY-SA 4.0" in r.out and "files:    870" in r.out


def test_fetch_gives_byte_identical_files_and_skips_present_ones(cli, server, tmp_path):
    dest = tmp_path / "md"
    r = cli("datasets", "fetch", "mathdial", "--dest", dest, "--base-url", f"{server.url}/mathdial")
    assert r.code == 0, r.err
    assert "3 files" in r.out and "3 downloaded, 0 resumed, 0 already present" in r.out
    for name in ("test.csv", "test.jsonl", "example.jsonl"):
        assert (dest / name).read_bytes() == (server.root / "mathdial" / name).read_bytes()
    assert not list(dest.glob("*.part"))
    server.requests.clear()
    again = fetch("mathdial", dest, base_url=f"{server.url}/mathdial/")
    assert again.count("present") == 3 and server.requests == []


def test_fetch_sight_whole_tree(server, tmp_path):
    dest = tmp_path / "sight"
    seen = []
    result = fetch(
        "sight", dest, base_url=f"{server.url}/sight", progress=lambda *a: seen.append(a)
    )
    assert result.count("downloaded") == 870
    for rel in ("annotations/sight_dataset.csv", "metadata/-5JSjp4969E.json", "LICENSE"):
        assert (dest / rel).read_bytes() == (server.root / "sight" / rel).read_bytes()
    # progress reports cumulative bytes up to each file's size
    last = {path: (done, total) for path, done, total in seen}
    size = (server.root / "sight" / "annotations" / "sight_dataset.csv").stat().st_size
    assert last["annotations/sight_dataset.csv"] == (size, size)


def test_resume_from_part_file_sends_range(server, tmp_path):
    dest = tmp_path / "md"
    dest.mkdir()
    full = (server.root / "mathdial" / "test.csv").read_bytes()
    (dest / "test.csv.part").write_bytes(full[:700_000])
    result = fetch("mathdial", dest, base_url=f"{server.url}/mathdial")
    assert result.status["test.csv"] == "resumed"
    assert ("mathdial/test.csv", "bytes=700000-") in server.requests
    assert (dest / "test.csv").read_bytes() == full
    assert not (dest / "test.csv.part").exists()


def test_interrupted_download_is_an_error_then_resumes(cli, server, tmp_path):
    dest = tmp_path / "md"
    server.cut_once.add("mathdial/test.jsonl")
    r = cli("datasets", "fetch", "mathdial", "--dest", dest, "--base-url", f"{server.url}/mathdial")
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and "download interrupted after" in lines[0]
    assert "run again to resume" in lines[0]
    # what was computed is kept: test.csv is complete, test.jsonl half there as .part
    assert (dest / "test.csv").is_file() and not (dest / "test.jsonl").exists()
    half = (dest / "test.jsonl.part").stat().st_size
    assert 0 < half < (server.root / "mathdial" / "test.jsonl").stat().st_size
    server.requests.clear()
    r = cli("datasets", "fetch", "mathdial", "--dest", dest, "--base-url", f"{server.url}/mathdial")
    assert r.code == 0, r.err
    assert "1 downloaded, 1 resumed, 1 already present" in r.out
    assert ("mathdial/test.jsonl", f"bytes={half}-") in server.requests
    assert sha(dest / "test.jsonl") == sha(server.root / "mathdial" / "test.jsonl")


def test_checksum_mismatch_is_one_line_error_and_no_final_file(cli, server, tmp_path):
    dest = tmp_path / "md"
    server.corrupt.add("mathdial/example.jsonl")
    r = cli("datasets", "fetch", "mathdial", "--dest", dest, "--base-url", f"{server.url}/mathdial")
    assert r.code == 2
    lines = r.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"Error: {server.url}/mathdial/example.jsonl: sha256 mismatch")
    assert "Traceback" not in r.err
    assert not (dest / "example.jsonl").exists() and not (dest / "example.jsonl.part").exists()
    # the files verified before the bad one are kept
    assert (dest / "test.csv").is_file() and (dest / "test.jsonl").is_file()


def test_missing_remote_file_is_user_error(server, tmp_path):
    with pytest.raises(InputError, match="HTTP 404"):
        fetch("mathdial", tmp_path, base_url=f"{server.url}/nowhere")


def test_server_without_range_support_restarts_the_file(server, tmp_path):
    dest = tmp_path / "md"
    dest.mkdir()
    full = (server.root / "mathdial" / "test.csv").read_bytes()
    (dest / "test.csv.part").write_bytes(full[:700_000])
    server.ignore_range = True
    result = fetch("mathdial", dest, base_url=f"{server.url}/mathdial")
    assert result.status["test.csv"] == "downloaded"  # not appended to the old .part
    assert ("mathdial/test.csv", "bytes=700000-") in server.requests
    assert (dest / "test.csv").read_bytes() == full


def test_complete_part_file_is_verified_without_a_body(server, tmp_path):
    dest = tmp_path / "md"
    dest.mkdir()
    full = (server.root / "mathdial" / "example.jsonl").read_bytes()
    (dest / "example.jsonl.part").write_bytes(full)  # the server answers 416
    result = fetch("mathdial", dest, base_url=f"{server.url}/mathdial")
    assert result.status["example.jsonl"] == "resumed"
    assert (dest / "example.jsonl").read_bytes() == full


def test_talkmoves_card_and_files(cli):
    r = cli("datasets", "list")
    block = r.out[r.out.index("talkmoves: ") :].split("\n\n")[0]
    assert "licence:  CC BY-NC-SA 4.0" in block and "Suresh, A." in block and "LREC 2022" in block
    assert (
        "567 classroom transcripts" in block
        and "homepage: https://github.com/SumnerLab/TalkMoves" in block
    )
    files = {f.path: f.url for f in get_dataset("talkmoves").files}
    assert len(files) == 574
    base = "https://raw.githubusercontent.com/SumnerLab/TalkMoves/869b9406de268ebab0f1b9a3bccde0b416b97290"
    assert files["Coding Manual.pdf"] == f"{base}/Coding%20Manual.pdf"
    assert files["Subset 2/TalkBack.Year1.Baker.Fall.121019-1.xlsx"] == (
        f"{base}/data/Subset%202/TalkBack.Year1.Baker.Fall.121019-1.xlsx"
    )
    assert sum(p.startswith("Subset ") for p in files) == 567


@pytest.mark.shared
def test_talkmoves_checksums_match_the_real_files(shared_data):
    from edukit.datasets import sha256_of

    root = shared_data / "talkmoves"
    for f in get_dataset("talkmoves").files[:8]:  # the root files and the datasheet
        assert sha256_of(root / f.path) == f.sha256, f.path


@pytest.mark.parametrize("length", ["abc", "-5", "1e3", " "])
def test_a_malformed_content_length_is_no_length_and_the_checksum_decides(
    cli, server, tmp_path, length
):
    server.length = length
    dest = tmp_path / "d"
    url = f"{server.url}/mathdial"
    r = cli("datasets", "fetch", "mathdial", "--dest", dest, "--base-url", url)
    assert r.code == 0, r.err
    assert "Traceback" not in r.err and "sha256 verified" in r.out
    for remote in get_dataset("mathdial").files:
        got = hashlib.sha256((dest / remote.path).read_bytes()).hexdigest()
        assert got == remote.sha256


def test_dest_naming_a_file_and_a_malformed_base_url_are_one_line(cli, tmp_path):
    a_file = tmp_path / "afile"
    a_file.write_text("keep me")
    r = cli("datasets", "fetch", "mathdial", "--dest", a_file)
    assert r.code == 2 and r.err.count("Error:") == 1, r.err
    assert f"{a_file}: --dest must be a folder, and this is a file" in r.err
    assert a_file.read_text() == "keep me"
    r = cli("datasets", "fetch", "mathdial", "--dest", tmp_path / "d", "--base-url", "http://[::1")
    assert r.code == 2 and r.err.count("Error:") == 1, r.err
    assert "--base-url 'http://[::1' is not a valid URL" in r.err
    assert not (tmp_path / "d").exists()
