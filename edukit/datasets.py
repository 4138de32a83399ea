"""The corpus catalogue and a resumable, checksum-verified downloader (standard library only).

`fetch("sight", dest)` downloads the official public files into `dest` with the layout of the
upstream `data/` folder (`annotations/sample_dataset.csv`, `metadata/...`, `prompts/...`), writing
each to `<file>.part` first, resuming an interrupted `.part` with an HTTP Range request, checking
its sha256 and only then renaming it into place. Files already present with the right hash are
skipped. The checksums were computed from the published files at the pinned commits.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from edukit.errors import InputError
from edukit.resources import bundled

CHUNK = 1 << 16
TIMEOUT = 60


@dataclass(frozen=True)
class RemoteFile:
    """One published file: where it goes under `dest`, where it comes from, its checksum."""

    path: str
    url: str
    sha256: str


@dataclass(frozen=True)
class Dataset:
    """A catalogue entry."""

    name: str
    title: str
    description: str
    licence: str
    citation: str
    homepage: str
    files_loader: Callable[[], tuple[RemoteFile, ...]] = field(repr=False, compare=False)

    @property
    def files(self) -> tuple[RemoteFile, ...]:
        return self.files_loader()


_MATHDIAL_RAW = "https://raw.githubusercontent.com/eth-nlped/mathdial"
_SIGHT_RAW = (
    "https://raw.githubusercontent.com/rosewang2008/sight/1097cf45af6bc027c967c2dfbcdcd9332516a19d"
)


def _mathdial_files() -> tuple[RemoteFile, ...]:
    # MathDial's train split is published on request / on the Hugging Face hub, not here.
    return (
        RemoteFile(
            "test.csv",
            f"{_MATHDIAL_RAW}/a109b8f91db9d12a8609e933323b4b84f4c690b6/data/test.csv",
            "7a2489f17d8933e1399dfb597700bb41952f0be19fb8231aa71ccf2fd4c53fe4",
        ),
        RemoteFile(
            "test.jsonl",
            f"{_MATHDIAL_RAW}/a109b8f91db9d12a8609e933323b4b84f4c690b6/data/test.jsonl",
            "3ec54ee8ab921dc6191bf5e2ee766d4e7916b4264394eb17a6be9b3fe486e50b",
        ),
        RemoteFile(
            "example.jsonl",
            f"{_MATHDIAL_RAW}/7d4f5df4115e69d30fcf85aef822808ad0f24a01/data/example.jsonl",
            "84655e6347b0d51e6585398644a017ed1f06748ba54466f20dec9b2b842ae1ed",
        ),
    )


def _files_from_sums(card: str, raw: str, upstream: Callable[[str], str]) -> tuple[RemoteFile, ...]:
    """The files listed in a dataset card folder's SHA256SUMS (`sha256sum` format), each fetched
    from `raw` at the path `upstream(rel)` of the repository."""
    sums = bundled("datasets", card, "SHA256SUMS")
    files = []
    for line in sums.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        digest, rel = line.split(maxsplit=1)
        rel = rel.lstrip("*")
        files.append(RemoteFile(rel, f"{raw}/{urllib.parse.quote(upstream(rel))}", digest))
    return tuple(files)


@cache
def _sight_files() -> tuple[RemoteFile, ...]:
    # 870 files (annotations, per-video metadata and transcripts, prompts); prompts/ and
    # LICENSE are at the repository root, the corpus under data/
    return _files_from_sums(
        "sight",
        _SIGHT_RAW,
        lambda rel: rel if rel == "LICENSE" or rel.startswith("prompts/") else f"data/{rel}",
    )


_TALKMOVES_RAW = (
    "https://raw.githubusercontent.com/SumnerLab/TalkMoves/869b9406de268ebab0f1b9a3bccde0b416b97290"
)
_TALKMOVES_ROOT = ("LICENSE", "README.md", "Coding Manual.pdf")  # the rest is under data/


@cache
def _talkmoves_files() -> tuple[RemoteFile, ...]:
    # 567 lesson workbooks, the datasheet, the coding manual and the authors' model splits
    # (sums computed from the files at the pinned commit)
    return _files_from_sums(
        "talkmoves",
        _TALKMOVES_RAW,
        lambda rel: rel if rel in _TALKMOVES_ROOT else f"data/{rel}",
    )


CATALOGUE: dict[str, Dataset] = {
    "mathdial": Dataset(
        name="mathdial",
        title="MathDial: teacher–student tutoring dialogues on math word problems",
        description="2,861 tutoring dialogues (test split here: 599) between crowd teachers and "
        "an LLM student, with teacher moves (focus, probing, telling, generic).",
        licence="CC BY-SA 4.0",
        citation="Macina, J., Daheim, N., Chowdhury, S. P., Sinha, T., Kapur, M., Gurevych, I., "
        "& Sachan, M. (2023). MathDial: A Dialogue Tutoring Dataset with Rich Pedagogical "
        "Properties Grounded in Math Reasoning Problems. Findings of EMNLP 2023.",
        homepage="https://github.com/eth-nlped/mathdial",
        files_loader=_mathdial_files,
    ),
    "sight": Dataset(
        name="sight",
        title="SIGHT: student comments on MIT OpenCourseWare math lectures",
        description="15,784 YouTube comments on 288 math lectures (with transcripts), 289 of "
        "them labelled by two humans, GPT-3.5 labels under many prompt versions.",
        licence="MIT",
        citation="Wang, R. E., Wirawarn, P., Goodman, N., & Demszky, D. (2023). SIGHT: A Large "
        "Annotated Dataset on Student Insights Gathered from Higher Education Transcripts. "
        "BEA 2023 (18th Workshop on Innovative Use of NLP for Building Educational "
        "Applications).",
        homepage="https://github.com/rosewang2008/sight",
        files_loader=_sight_files,
    ),
    "talkmoves": Dataset(
        name="talkmoves",
        title="TalkMoves: K-12 mathematics lesson transcripts coded for talk moves",
        description="567 classroom transcripts (Subset 1: 191 lessons from public video "
        "collections; Subset 2: 376 TalkBack study lessons, 2019-2021), one .xlsx per lesson, "
        "one row per sentence (237,537) coded for teacher talk moves (keeping everyone "
        "together, getting students to relate, restating, revoicing, pressing for accuracy, "
        "pressing for reasoning) and student talk moves (relating to another student, asking "
        "for more information, making a claim, providing evidence or reasoning); a datasheet "
        "of lesson metadata and the coding manual. Non-commercial use only.",
        licence="CC BY-NC-SA 4.0",
        citation="Suresh, A., Jacobs, J., Harty, C., Perkoff, M., Martin, J. H., & Sumner, T. "
        "(2022). The TalkMoves Dataset: K-12 Mathematics Lesson Transcripts Annotated for "
        "Teacher and Student Discursive Moves. Proceedings of the 13th Language Resources and "
        "Evaluation Conference (LREC 2022).",
        homepage="https://github.com/SumnerLab/TalkMoves",
        files_loader=_talkmoves_files,
    ),
}


def get_dataset(name: str) -> Dataset:
    """A catalogue entry by name; an unknown name is a user error listing the known ones."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise InputError(
            f"unknown dataset {name!r}; known: {', '.join(sorted(CATALOGUE))}"
        ) from None


@dataclass
class FetchResult:
    """What `fetch` did to each file: `downloaded`, `resumed` or `present`."""

    dest: Path
    status: dict[str, str] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(1 for s in self.status.values() if s == status)


Progress = Callable[[str, int, int | None], None]  # (path, bytes done, bytes total or None)


def fetch(
    name: str,
    dest: str | os.PathLike,
    *,
    base_url: str | None = None,
    progress: Progress | None = None,
) -> FetchResult:
    """Download a catalogue dataset into `dest`, verifying every file's sha256.

    `base_url` replaces the upstream location: file `annotations/x.csv` is fetched from
    `<base_url>/annotations/x.csv` (a mirror, or a local server in tests). Files already present
    with the right checksum are skipped; a `.part` left by an interrupted run is resumed.
    A checksum mismatch raises InputError and leaves no final file (nor the bad `.part`).
    """
    from edukit.paths import check_folder, check_url

    dataset = get_dataset(name)
    root = Path(dest)
    check_url(base_url)
    check_folder(root, "--dest")
    result = FetchResult(dest=root)
    for remote in dataset.files:
        url = remote.url
        if base_url:
            url = f"{base_url.rstrip('/')}/{urllib.parse.quote(remote.path)}"
        result.status[remote.path] = fetch_file(
            url, root / remote.path, remote.sha256, progress=progress, label=remote.path
        )
    return result


def sha256_of(path: Path) -> str:
    """The sha256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_file(
    url: str,
    target: Path,
    sha256: str,
    *,
    progress: Progress | None = None,
    label: str | None = None,
) -> str:
    """Download one file to `target` via `target.part`; returns downloaded/resumed/present."""
    label = label or target.name
    if target.is_file() and sha256_of(target) == sha256:
        return "present"
    from edukit.paths import make_folder

    make_folder(target.parent, "--dest")
    part = target.with_name(target.name + ".part")
    start = part.stat().st_size if part.is_file() else 0
    digest = hashlib.sha256()
    request = urllib.request.Request(url, headers={"User-Agent": "edukit"})
    if start:
        request.add_header("Range", f"bytes={start}-")
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and start:  # the .part is already complete
            return _finish(part, target, sha256, _hash_file(part, digest), url, "resumed")
        raise InputError(f"download failed: HTTP {exc.code} {exc.reason}", path=url) from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise InputError(f"download failed: {reason}", path=url) from exc
    with response:
        resumed = bool(start) and response.status == 206
        if resumed:
            _hash_file(part, digest)
        else:
            start = 0  # the server sent the whole file
        length = (response.headers.get("Content-Length") or "").strip()
        # a malformed length (`abc`, `-5`) is no length: the sha256 check still decides
        total = start + int(length) if length.isascii() and length.isdigit() else None
        done = start
        mode = "ab" if resumed else "wb"
        try:
            with part.open(mode) as out:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    digest.update(chunk)
                    done += len(chunk)
                    if progress:
                        progress(label, done, total)
        except (OSError, http.client.HTTPException) as exc:  # e.g. IncompleteRead
            raise InputError(
                f"download interrupted after {done:,} bytes ({exc}); run again to resume",
                path=url,
            ) from exc
    if total is not None and done < total:
        raise InputError(
            f"download interrupted after {done:,} of {total:,} bytes; run again to resume",
            path=url,
        )
    return _finish(
        part, target, sha256, digest.hexdigest(), url, "resumed" if resumed else "downloaded"
    )


def _hash_file(path: Path, digest: Any) -> str:
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _finish(part: Path, target: Path, sha256: str, got: str, url: str, status: str) -> str:
    if got != sha256:
        part.unlink(missing_ok=True)  # a corrupt .part must not be resumed either
        raise InputError(
            f"sha256 mismatch for {target.name}: expected {sha256}, got {got}; nothing written",
            path=url,
        )
    os.replace(part, target)
    return status
