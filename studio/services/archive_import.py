"""An exported session made a session of the importing owner: its session.json checked (format, schema, every
field: archive_checks.py), its images re-checked as uploads are (decoded in full, PNG only, within the pixel and
byte limits, stored as bare pixels), every image it names present, then re-keyed (a new id, the importer as owner,
image paths in the new session's folder). Nothing here writes: the engine stores what `prepare` returns.

A session.json alone (no ZIP) brings the whole text history; the images it names are not there, so each is replaced
by a grey placeholder and each round that lost one says so in its notes ("archive.placeholders"). The store keeps
no row that points to a missing file (Store.recover would drop such candidates at the next start), and a candidate
dropped would break the feedback, questions and branches that name it: a placeholder keeps every record whole.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, replace
from typing import Any

from PIL import Image, UnidentifiedImageError

from studio.core import limits
from studio.core.messages import Message
from studio.core.session import SCHEMA_VERSION, Session
from studio.core.session_json import session_from_dict
from studio.services.archive import FORMAT, FORMAT_VERSION, IMAGE_MEMBER, ArchiveRefused, Unpacked
from studio.services.archive_checks import check_session
from studio.services.sessions import files_of

STORED_MODES = {"RGB", "L", "RGBA"}  # what the studio writes: candidates and references RGB, masks L
PLACEHOLDER_GREY = 128


@dataclass(frozen=True)
class Prepared:
    session: Session  # re-keyed: its id, owner and image paths are the new session's
    images: list[tuple[str, Image.Image]]  # (name, image) to store in the new session's folder first
    placeholders: int  # images a session.json alone did not bring


def prepare(unpacked: Unpacked, owner: str, new_id: str) -> Prepared:
    """The session to store for `owner` under `new_id`, and its images; or `ArchiveRefused`."""
    session = _session(unpacked.document)
    check_session(session)
    paths = sorted(files_of(session))
    names = {}
    for path in paths:
        if not IMAGE_MEMBER.fullmatch(path):
            raise ArchiveRefused("archive.field", field="image", problem=f"{limits.shown(path)} is not a stored path")
        names[path] = path.rsplit("/", 1)[1][:-len(".png")]
    if len(set(names.values())) != len(names):
        raise ArchiveRefused("archive.field", field="image", problem="two images share a name")
    if unpacked.images is None:
        images = {path: _placeholder() for path in paths}
    else:
        missing = next((p for p in paths if p not in unpacked.images), None)
        if missing is not None:
            raise ArchiveRefused("archive.missing_image", name=limits.shown(missing, 80))
        images = {path: _checked_image(path, unpacked.images[path]) for path in paths}
    moved = {path: f"images/{new_id}/{name}.png" for path, name in names.items()}
    session = _rekeyed(session, owner, new_id, moved)
    if unpacked.images is None and paths:
        session = _noted(session)
    return Prepared(session, [(names[p], images[p]) for p in paths], len(paths) if unpacked.images is None else 0)


def _session(document: Any) -> Session:
    if not isinstance(document, dict) or document.get("format") != FORMAT or not isinstance(document.get("session"),
                                                                                             dict):
        raise ArchiveRefused("archive.not_json", problem="no session under the studio's format marker")
    version = document.get("format_version")
    schema = document["session"].get("schema")
    if type(version) is not int or type(schema) is not int:
        raise ArchiveRefused("archive.not_json", problem="no format or schema version")
    if version > FORMAT_VERSION or schema > SCHEMA_VERSION:
        raise ArchiveRefused("archive.newer", version=f"{version}/{schema}", known=f"{FORMAT_VERSION}/{SCHEMA_VERSION}")
    try:
        return session_from_dict(document["session"])
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        problem = f"{limits.shown(err.args[0])} is missing" if isinstance(err, KeyError) and err.args \
            else f"{type(err).__name__}: {limits.shown(str(err), 80)}"
        raise ArchiveRefused("archive.not_json", problem=problem) from err


def _checked_image(name: str, data: bytes) -> Image.Image:
    """As an upload is checked (engine/uploads.py): PNG, within the limits, decoded in full; then bare pixels."""
    shown = limits.shown(name, 80)
    if len(data) > limits.MAX_UPLOAD_BYTES:
        raise ArchiveRefused("archive.image", name=shown, problem=f"over {limits.MAX_UPLOAD_BYTES // 2**20} MB")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format != "PNG":
                raise ArchiveRefused("archive.image", name=shown, problem=f"{probe.format}, not PNG")
            if probe.width * probe.height > limits.MAX_UPLOAD_PIXELS:
                raise ArchiveRefused("archive.image", name=shown, problem=f"{probe.width}x{probe.height} pixels")
            if probe.mode not in STORED_MODES:
                raise ArchiveRefused("archive.image", name=shown, problem=f"mode {probe.mode}")
            probe.load()
            return Image.frombytes(probe.mode, probe.size, probe.tobytes())  # the pixels only: no text, no profile
    except Image.DecompressionBombError as err:
        raise ArchiveRefused("archive.image", name=shown, problem="a decompression bomb") from err
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        if isinstance(err, ArchiveRefused):
            raise
        raise ArchiveRefused("archive.image", name=shown, problem="not a readable image") from err


def _placeholder() -> Image.Image:
    return Image.new("RGB", (limits.MIN_SIZE, limits.MIN_SIZE), (PLACEHOLDER_GREY,) * 3)


def _rekeyed(session: Session, owner: str, new_id: str, moved: dict[str, str]) -> Session:
    """The importer's session: a new id and owner, images in its own folder. A parent session in another studio
    means nothing here, so the link is not kept (and can never name a session of someone else's here)."""
    def path(p: str | None) -> str | None:
        return moved[p] if p else p

    rounds = tuple(replace(r, candidates=tuple(replace(c, image=path(c.image)) for c in r.candidates),
                           params=r.params and replace(r.params, reference=path(r.params.reference),
                                                       mask=path(r.params.mask),
                                                       style_reference=path(r.params.style_reference)))
                   for r in session.rounds)
    references = tuple(replace(ref, image=path(ref.image)) for ref in session.references)
    return replace(session, id=new_id, owner=owner, rounds=rounds, references=references, parent_session=None,
                   parent_round=None)


def _noted(session: Session) -> Session:
    """Each round whose images are placeholders says so in its notes."""
    def noted(r):
        started = (r.params.reference, r.params.mask, r.params.style_reference) if r.params else ()
        count = len(r.candidates) + sum(1 for p in started if p)
        return replace(r, notes=r.notes + (Message("archive.placeholders", {"count": count}),)) if count else r
    return replace(session, rounds=tuple(noted(r) for r in session.rounds))
