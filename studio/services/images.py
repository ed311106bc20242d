"""Images as PNG files under the data folder: written atomically, named safely, never read from outside it.

A reader or a crash sees the old file or the whole new one, never a partial PNG; a temp file a crash left behind
is removed at start-up (`remove_leftovers`), and so is a file no row points to (`remove_unreferenced`).
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

from PIL.Image import Image

from studio.core.limits import shown

_SAFE_PART = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TMP_PREFIX = ".tmp-"


def check_part(kind: str, value: str) -> str:
    # These become folder and file names: only a plain, short name may reach the disk.
    if not isinstance(value, str) or not _SAFE_PART.fullmatch(value):
        raise ValueError(f"{kind} {shown(value)} is not allowed: use 1 to 64 letters, digits, '_' or '-'.")
    return value


def _fsync_dir(folder: Path) -> None:
    # A rename or a new entry is durable only once its folder is synced.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class ImageFiles:
    """images/<session id>/<name>.png under `data_dir`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.images_dir = self.data_dir / "images"

    def save_image(self, session_id: str, name: str, image: Image) -> str:
        """Write `image` as images/<session_id>/<name>.png, atomically; return its relative path."""
        folder = self.images_dir / check_part("session id", session_id)
        target = folder / f"{check_part('image name', name)}.png"
        if not folder.is_dir():
            folder.mkdir(exist_ok=True)
            _fsync_dir(self.images_dir)
        # A reader or a crash sees the old file or the whole new one, never a partial PNG.
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, suffix=".png", dir=folder)
        try:
            os.chmod(tmp, 0o644)  # mkstemp makes it private; an image is an ordinary file
            with os.fdopen(fd, "wb") as f:
                image.save(f, format="PNG")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(folder)
        return target.relative_to(self.data_dir).as_posix()

    def save_images(self, session_id: str, named: list[tuple[str, Image]]) -> list[str]:
        """Write every (name, image), or none: when one write fails, those already written are removed."""
        written: list[str] = []
        try:
            for name, image in named:
                written.append(self.save_image(session_id, name, image))
        except BaseException:
            for relative in written:
                self.image_path(relative).unlink(missing_ok=True)
            raise
        return written

    def image_path(self, relative: str) -> Path:
        """The absolute path of a stored image; refuses anything outside the images folder."""
        path = (self.data_dir / relative).resolve()
        if not path.is_relative_to(self.images_dir.resolve()):
            raise ValueError(f"Image path {shown(relative)} is outside the studio's images folder.")
        return path

    def image_exists(self, relative: str) -> bool:
        try:
            return self.image_path(relative).is_file()
        except ValueError:  # a row pointing outside images/ is as good as missing
            return False

    def remove_session_images(self, session_id: str) -> None:
        folder = self.images_dir / check_part("session id", session_id)
        if folder.exists():
            shutil.rmtree(folder)

    def remove_leftovers(self) -> None:
        """Temp files of writes a crash cut short."""
        for tmp in self.images_dir.rglob(f"{_TMP_PREFIX}*"):
            tmp.unlink(missing_ok=True)

    def remove_unreferenced(self, sessions: set[str], referenced: set[str]) -> None:
        """The folders of sessions that are gone, and files in a session's folder that are not in `referenced`
        (as rows spell them). Only folders named as a session is are looked at: nothing else here is ours."""
        kept = set()
        for relative in referenced:
            try:
                kept.add(self.image_path(relative))
            except ValueError:  # a row pointing outside images/ keeps nothing
                continue
        for folder in self.images_dir.iterdir():
            if not folder.is_dir() or not _SAFE_PART.fullmatch(folder.name):
                continue
            if folder.name not in sessions:
                shutil.rmtree(folder)
                continue
            for path in folder.iterdir():
                if path.is_file() and path.resolve() not in kept:
                    path.unlink()
