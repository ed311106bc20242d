"""A session's stored images, opened for the page: only files that belong to the session's own rounds."""
from __future__ import annotations

from PIL import Image

from studio.core.session import Candidate, Session, find_round
from studio.engine import validation as checks
from studio.engine.validation import StudioError
from studio.services.sessions import Store, files_of


def opened(store: Store, relative: str) -> Image.Image:
    """The stored file, decoded now (the file is closed on return)."""
    try:
        with Image.open(store.image_path(relative)) as image:
            image.load()
            return image.copy()
    except (OSError, ValueError) as err:  # a file lost since (recover() drops its row at the next start)
        raise StudioError("image.missing") from err


def round_images(store: Store, session: Session, round_index) -> list[tuple[Image.Image, Candidate]]:
    """Each candidate of the round, its image opened, in order."""
    index = checks.whole("round", round_index, 0, 10**6)
    round_ = find_round(session, index)
    if round_ is None:
        raise StudioError("round.missing", round=index + 1)
    return [(opened(store, c.image), c) for c in round_.candidates]


def session_image(store: Store, session: Session, relative) -> Image.Image:
    """A candidate, a start image, a mask or a reference of the session, by its stored path."""
    known = files_of(session)
    if not isinstance(relative, str) or relative not in known:
        raise StudioError("image.unknown")
    return opened(store, relative)
