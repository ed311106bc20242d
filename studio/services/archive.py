"""A session as a ZIP to keep or send, and such a ZIP read back with every limit held.

The ZIP holds `session.json` (the session as `session_json` writes it, under a format marker and version),
`report.html` (the client report, services/report.py) and every image the session's rows point to, at its stored
path (`images/<session>/<name>.png`). A candidate's PNG carries its recipe in text chunks (core/recipe.py): A1111's
`parameters`, the whole recipe as JSON, and each field on its own; iTXt where the text is not Latin-1 (Chinese).

Reading (`unpack`) trusts nothing in the file: only the expected names (no absolute path, no `..`, no link, no
folder of its own), a bounded number of members, each read through a counting reader that stops at its limit
(never `extractall`, never the sizes the headers claim), a bounded ratio of unpacked to packed bytes, and a bounded
total. What it returns is bytes in memory; archive_import.py checks the session and the images before anything is
written.
"""
from __future__ import annotations

import io
import json
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from studio.core import limits
from studio.core.messages import Message
from studio.core.recipe import STUDIO_NAME, STUDIO_VERSION, candidate_recipe, png_text
from studio.core.session import Session
from studio.core.session_json import session_to_dict
from studio.services.images import ImageFiles
from studio.services.sessions import files_of

FORMAT = "design-collaborator/session"
FORMAT_VERSION = 1
SESSION_FILE, REPORT_FILE = "session.json", "report.html"
IMAGE_MEMBER = re.compile(r"images/[A-Za-z0-9_-]{1,64}/[A-Za-z0-9_-]{1,64}\.png")
FOLDER_MEMBER = re.compile(r"images/([A-Za-z0-9_-]{1,64}/)?")  # folder entries some zip tools add

MAX_ARCHIVE_BYTES = 256 * 2**20  # the file as uploaded
MAX_MEMBERS = 4_000  # a long session: 400 rounds of 8 candidates, with masks and references
MAX_IMAGE_BYTES = limits.MAX_UPLOAD_BYTES  # an image is re-checked like an upload
MAX_JSON_BYTES = 32 * 2**20
MAX_REPORT_BYTES = 128 * 2**20
MAX_TOTAL_BYTES = 1024 * 2**20
MAX_RATIO = 200  # unpacked / packed: PNGs barely pack, JSON packs ~10x; a bomb packs 1000x
RATIO_FLOOR = 64 * 2**10  # below this many bytes a member's ratio does not matter
_CHUNK = 64 * 2**10


class ArchiveRefused(ValueError):
    """A file that is not a session this studio can import: `message` says what and what to do."""

    def __init__(self, code: str, **args: Any):
        self.message = Message(code, args)
        super().__init__(str(self.message))


# ---------------------------------------------------------------- export
def session_document(session: Session, branch_only: bool) -> dict[str, Any]:
    """What `session.json` holds: the session, losslessly, under the format's marker."""
    return {"format": FORMAT, "format_version": FORMAT_VERSION, "studio": STUDIO_NAME,
            "studio_version": STUDIO_VERSION, "branch_only": branch_only, "session": session_to_dict(session)}


def write_archive(files: ImageFiles, session: Session, branch_only: bool, report_html: str, target: Path) -> Path:
    """The ZIP of `session` at `target`: session.json, report.html, and every image its rows point to."""
    candidates = {c.image: (r, c) for r in session.rounds for c in r.candidates}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(SESSION_FILE, json.dumps(session_document(session, branch_only), ensure_ascii=False, indent=1))
        zf.writestr(REPORT_FILE, report_html)
        for relative in sorted(files_of(session)):
            path = files.image_path(relative)
            if relative in candidates:
                zf.writestr(relative, _with_recipe(path, session, *candidates[relative]),
                            compress_type=zipfile.ZIP_STORED)  # a PNG is packed already
            else:
                zf.write(path, relative, compress_type=zipfile.ZIP_STORED)
    return target


def _with_recipe(path: Path, session: Session, round_, candidate) -> bytes:
    info = PngInfo()
    for key, text in png_text(candidate_recipe(session, round_, candidate)):
        info.add_text(key, text)  # Pillow writes iTXt (UTF-8) where Latin-1 cannot hold the text
    with Image.open(path) as image:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


# ---------------------------------------------------------------- import: reading the file
@dataclass(frozen=True)
class Unpacked:
    document: Any  # session.json, decoded
    images: dict[str, bytes] | None  # member name -> bytes; None: a session.json came alone


def unpack(path: Path) -> Unpacked:
    """The file as a session.json and its images, or `ArchiveRefused`."""
    if path.stat().st_size > MAX_ARCHIVE_BYTES:
        raise ArchiveRefused("archive.too_big", mb=MAX_ARCHIVE_BYTES // 2**20)
    if not zipfile.is_zipfile(path):
        with path.open("rb") as f:
            return Unpacked(_decoded(f.read(MAX_JSON_BYTES + 1)), None)
    try:
        with zipfile.ZipFile(path) as zf:
            members = _members(zf)
            read = _Budget()
            images = {info.filename: read.member(zf, info, MAX_IMAGE_BYTES) for info in members
                      if info.filename != SESSION_FILE}
            document = next((info for info in members if info.filename == SESSION_FILE), None)
            if document is None:
                raise ArchiveRefused("archive.no_session")
            return Unpacked(_decoded(read.member(zf, document, MAX_JSON_BYTES)), images)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError) as err:
        raise ArchiveRefused("archive.not_zip") from err


def _members(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The members worth reading (images and session.json; report.html and folder entries are passed over), after
    every name and kind is checked."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ArchiveRefused("archive.too_many", count=len(infos), limit=MAX_MEMBERS)
    seen, kept = set(), []
    for info in infos:
        name = info.filename
        is_link = stat.S_ISLNK(info.external_attr >> 16)
        expected = name in (SESSION_FILE, REPORT_FILE) or IMAGE_MEMBER.fullmatch(name) or FOLDER_MEMBER.fullmatch(name)
        if is_link or not expected or name in seen or info.flag_bits & 0x1:  # 0x1: encrypted
            raise ArchiveRefused("archive.member", name=limits.shown(name))
        seen.add(name)
        if name == SESSION_FILE or IMAGE_MEMBER.fullmatch(name):
            kept.append(info)
    return kept


class _Budget:
    """Reads members, counting the bytes that really come out (not what a header claims)."""

    def __init__(self) -> None:
        self.total = 0

    def member(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, most: int) -> bytes:
        allowed = min(most, max(RATIO_FLOOR, MAX_RATIO * info.compress_size))
        chunks, size = [], 0
        with zf.open(info) as f:
            while chunk := f.read(_CHUNK):
                size += len(chunk)
                self.total += len(chunk)
                if size > allowed or self.total > MAX_TOTAL_BYTES:
                    raise ArchiveRefused("archive.bomb", name=limits.shown(info.filename), mb=most // 2**20,
                                         ratio=MAX_RATIO, total_mb=MAX_TOTAL_BYTES // 2**20)
                chunks.append(chunk)
        return b"".join(chunks)


def _decoded(data: bytes) -> Any:
    if len(data) > MAX_JSON_BYTES:
        raise ArchiveRefused("archive.too_big", mb=MAX_JSON_BYTES // 2**20)
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ArchiveRefused("archive.not_zip") from err


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number a session stores")
