"""Fetching a dataset archive into `<root>/<folder>/` so that no reader ever sees half of it.

Everything happens in a private temporary folder beside the target (`<root>/.<folder>.incomplete-*`):
download with a progress bar and the MD5 computed on the way, check the MD5, extract, check the
extracted files (`verify`), and only then rename `<folder>` into place. A folder of that name therefore
only exists once it is complete; an interrupted download or extraction leaves the temporary folder
(its name says it is incomplete) and a restart downloads again. Several writers (nodes on a shared
filesystem) may race: the first rename wins, a later one finds the folder in place and discards its
own copy. Plain `urllib`, so `file://` URLs work for an archive already on disk.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from infocam_lit.data.idx import DatasetError

log = logging.getLogger(__name__)

CHUNK = 1 << 20
TIMEOUT_S = 60  # per socket operation: a dead server fails instead of hanging


@dataclass(frozen=True)
class Archive:
    """Where a dataset's archive lives and what it unpacks to."""

    url: str
    md5: str | None  # None: no checksum (a custom archive); extraction and `verify` still run
    folder: str  # the top-level folder the archive creates, e.g. CUB_200_2011
    offline_hint: str  # what to do by hand when the network is not reachable

    @property
    def file_name(self) -> str:
        return self.url.rstrip("/").rsplit("/", 1)[-1] or "archive"


def fetch(archive: Archive, root: str | Path, verify: Callable[[Path], None]) -> bool:
    """Make `<root>/<archive.folder>` exist and hold the archive's checked contents. Returns True when this
    call downloaded it, False when it was there already (or another writer placed it first)."""
    root = Path(root)
    target = root / archive.folder
    if target.exists():
        return False
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{archive.folder}.incomplete-", dir=root))
    try:
        file = work / archive.file_name
        download(archive, file)
        extracted = work / "extracted"
        extract(archive, file, extracted)
        if not (extracted / archive.folder).is_dir():
            raise DatasetError(f"the archive {archive.url} (saved as {file}) holds no {archive.folder}/ folder at its "
                               f"top level. {archive.offline_hint}")
        verify(extracted)
        return install(extracted / archive.folder, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_official_counts(folder: Path, counts: dict[str, int], official: dict[str, int], how_to_get: str) -> None:
    """The counts of an unpacked official archive are the official ones; a DatasetError naming each that is not."""
    wrong = [f"{counts[k]:,} {k} (official: {v:,})" for k, v in official.items() if counts[k] != v]
    if wrong:
        raise DatasetError(f"{folder} holds {', '.join(wrong)}; the archive is not the official one. {how_to_get}")


def install(source: Path, target: Path) -> bool:
    """Rename `source` to `target` unless another writer already did: True when this call placed it."""
    try:
        os.rename(source, target)
    except OSError:
        if not target.is_dir():
            raise
        log.info("%s was placed by another process meanwhile; this copy is discarded", target)
        return False
    log.info("dataset ready in %s", target)
    return True


def download(archive: Archive, file: Path) -> None:
    """Stream `archive.url` into `file`, checking the byte count the server announced and the MD5."""
    md5 = hashlib.md5()
    received = 0
    try:
        with urllib.request.urlopen(archive.url, timeout=TIMEOUT_S) as response, open(file, "wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length else None
            with tqdm(total=total, unit="B", unit_scale=True, desc=f"downloading {archive.file_name}") as bar:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    md5.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        raise DatasetError(f"could not download {archive.url} into {file}: {reason}. {archive.offline_hint}") from error
    if total is not None and received != total:
        raise DatasetError(f"the download of {archive.url} into {file} stopped after {received} of {total} bytes; "
                           f"run again to download it again. {archive.offline_hint}")
    if archive.md5 is not None and md5.hexdigest() != archive.md5.lower():
        # download=true was set, and the file came: advice to set it, or to fetch by hand, would not help
        raise DatasetError(f"{archive.file_name}, downloaded from {archive.url}, has MD5 {md5.hexdigest()}, not the "
                           f"expected {archive.md5}; it was deleted. Either the file at that address is damaged (copy "
                           "or fetch the official archive again, then run again) or it is another archive: for a "
                           "custom archive set data.md5 to its checksum, or data.md5=null to skip the check")


def extract(archive: Archive, file: Path, destination: Path) -> None:
    """Unpack a .tgz/.tar(.gz) or .zip archive; a truncated or corrupt one is a DatasetError naming it."""
    destination.mkdir()
    try:
        if zipfile.is_zipfile(file):
            with zipfile.ZipFile(file) as zipped:
                zipped.extractall(destination)  # zipfile drops absolute paths and '..'
        else:
            with tarfile.open(file) as tar:
                extract_tar(tar, destination)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise DatasetError(f"cannot extract {file} (downloaded from {archive.url}): {error}. The archive is "
                           f"truncated or corrupt; run again to download it again. {archive.offline_hint}") from error


def extract_tar(tar: tarfile.TarFile, destination: Path) -> None:
    """Extract refusing members that would land outside `destination` (Python's "data" filter where it
    exists, 3.10.12+ / 3.11.4+; else the same check on the names)."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(destination, filter="data")
        return
    inside = destination.resolve()
    for member in tar.getmembers():
        if member.issym() or member.islnk() or not (inside / member.name).resolve().is_relative_to(inside):
            raise ValueError(f"unsafe member {member.name!r}")
    tar.extractall(destination)
