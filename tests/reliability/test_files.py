"""Item 1: the file route serves what the page must show and nothing else.

A live studio (`python app.py` in its own folder, data in `./data`, a `.env` beside it) is asked
for the server's files by every spelling an attacker would try (CVE-2023-51449, CVE-2024-1561):
each is refused (403/404) and its content never comes back. The images a designer's gallery
received still load.
"""
from __future__ import annotations

import io
import socket
from pathlib import Path
from urllib.parse import quote

import pytest
from PIL import Image

from kit import fetch

PASSWD = Path("/etc/passwd").read_bytes()
REFUSED = (403, 404)


def file_url(hosted, path: str) -> str:
    return f"{hosted.studio.url}gradio_api/file={path}"


def assert_refused(hosted, path: str, *secrets: bytes) -> None:
    status, body = fetch(file_url(hosted, path))
    assert status in REFUSED, (path, status, body[:200])
    for secret in secrets:
        assert secret not in body, path


@pytest.mark.parametrize("path", [
    "/etc/passwd",
    "../../../etc/passwd",
    "../../../../../../../../etc/passwd",
    "..%2F..%2F..%2Fetc%2Fpasswd",
    "%2Fetc%2Fpasswd",
    "//etc/passwd",
    "/etc/../etc/passwd",
    "/proc/self/environ",
])
def test_the_servers_own_files_are_refused(hosted, path):
    assert_refused(hosted, path, PASSWD[:32], b"root:x:0:0", b"HF_HUB_OFFLINE")


def test_the_database_is_refused_by_absolute_and_relative_path(hosted, alice):
    db = hosted.data_dir / "studio.db"
    assert db.read_bytes().startswith(b"SQLite format 3")  # it is there to be refused
    for path in (str(db), "data/studio.db", "./data/studio.db", "data//studio.db", quote(str(db), safe=""),
                 "data/studio.db-wal", str(db) + "-wal", "data/../data/studio.db", str(db).upper()):
        assert_refused(hosted, path, b"SQLite format 3", alice.sid.encode(), b"jazz night")


def test_another_owners_image_is_refused_by_its_path_in_the_data_folder(hosted, alice):
    stored = sorted((hosted.data_dir / "images" / alice.sid).glob("*.png"))
    assert len(stored) == 2
    for image in stored:
        relative = image.relative_to(hosted.cwd).as_posix()
        for path in (str(image), relative, "./" + relative, quote(str(image), safe="")):
            assert_refused(hosted, path, image.read_bytes()[:64])
    assert_refused(hosted, str(hosted.data_dir / "images" / alice.sid))  # nor its folder


def test_dot_env_in_the_studios_folder_is_refused(hosted):
    env = hosted.cwd / ".env"
    assert hosted.secret in env.read_text()
    for path in (".env", "./.env", str(env), "data/../.env", quote(str(env), safe="")):
        assert_refused(hosted, path, hosted.secret.encode())


def test_the_file_route_never_reaches_a_private_address(hosted):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    listener.settimeout(0.5)
    try:
        port = listener.getsockname()[1]
        for url in (f"http://127.0.0.1:{port}/latest.png", "http://169.254.169.254/latest/meta-data/",
                    "http://127.0.0.1:22/", f"http://localhost:{port}/x.png"):
            assert_refused(hosted, url)
        with pytest.raises(socket.timeout):
            listener.accept()  # nobody came
    finally:
        listener.close()


def test_the_images_a_designer_received_load(hosted, alice):
    assert len(alice.gallery) == 2
    for item in alice.gallery:
        url = item["image"]["url"]
        assert url.startswith(hosted.studio.url + "gradio_api/file=")
        status, body = fetch(url, cookies=alice.client.cookies)
        assert status == 200, (url, body[:200])
        assert fetch(url)[0] == 404  # and to nobody else
        with Image.open(io.BytesIO(body)) as image:
            assert image.size == (64, 64)
