"""Items 2 and 3: what a designer gives where an image is expected.

A URL is refused without a single outbound request (CVE-2024-47167 was a server fetching one);
an over-size file, a text/SVG/HTML file named .png, a decompression bomb and a path to the
server's own files are refused with a clear message, and the store (every row, every image
file) is exactly as it was. Through the engine, then through the API of a running studio.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import socket
import struct
import tempfile
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from PIL import Image

from kit import BRIEF, digest, round_inputs
from server import hang_up
from studio.core import limits
from studio.engine.uploads import open_upload
from studio.engine.validation import StudioError
from studio.engine import RoundParams, Studio

UNREADABLE = "is not an image we can read"
WHAT_TO_UPLOAD = "PNG, JPEG or WebP"


# ---------------------------------------------------------------- files a designer (or an attacker) uploads
def bomb_png(path: Path, width: int, height: int) -> Path:
    """A 1-bit black PNG: a few kB on disk, width x height pixels once decoded."""
    deflate = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed pixels
    data = b"".join(deflate.compress(row) for _ in range(height)) + deflate.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0))
                     + chunk(b"IDAT", data) + chunk(b"IEND", b""))
    return path


def make_uploads(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    good = files["good"] = folder / "moodboard.png"
    Image.linear_gradient("L").convert("RGB").resize((80, 64)).save(good)
    big = files["over-size"] = folder / f"oversize-{secrets.token_hex(4)}.png"
    Image.new("RGB", (64, 64), "navy").save(big)  # a real PNG, padded past the limit
    with open(big, "r+b") as f:
        f.truncate(limits.MAX_UPLOAD_BYTES + 1)
    texts = {
        "text as png": ("notes.png", "meeting notes, not an image\n" * 20),
        "svg as png": ("logo.png", '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
                       '<script>alert(1)</script><image href="http://169.254.169.254/latest"/></svg>'),
        "html as png": ("page.png", "<!doctype html><html><body>"
                        "<script>fetch('http://169.254.169.254/latest')</script></body></html>"),
    }
    for name, (file_name, text) in texts.items():
        files[name] = folder / file_name
        files[name].write_text(text)
    files["bomb 20000x20000"] = bomb_png(folder / "bomb.png", 20_000, 20_000)
    files["bomb 5000x5000"] = bomb_png(folder / "big-canvas.png", 5_000, 5_000)
    gif = files["gif as png"] = folder / "animated.png"
    Image.new("P", (32, 32)).save(gif, format="GIF")
    whole = good.read_bytes()
    files["truncated png"] = folder / "cut.png"
    files["truncated png"].write_bytes(whole[:len(whole) // 2])
    return files


REFUSED_FILES = {  # name -> what the refusal says (a pattern)
    "over-size": "larger than 10 MB; upload a smaller image",
    "text as png": UNREADABLE,
    "svg as png": UNREADABLE,
    "html as png": UNREADABLE,
    "bomb 20000x20000": f"{UNREADABLE}|megapixels",
    "bomb 5000x5000": "5000x5000 pixels; keep it under 16 megapixels",
    "gif as png": "must be a PNG, JPEG or WebP image, not GIF",
    "truncated png": UNREADABLE,
}
GRADIO_UPLOADS = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")
# Gradio converts an upload whose mode is not RGB into a PNG before the engine sees it: a GIF arrives
# as a real PNG and is rightly taken, so only the others are refused through the API.
API_REFUSED_FILES = {name: said for name, said in REFUSED_FILES.items() if name != "gif as png"}
URLS = ["http://169.254.169.254/latest", "http://127.0.0.1:22", "https://169.254.169.254/latest/meta-data/iam",
        "HTTP://127.0.0.1:22/x.png", "file:///etc/passwd", "ftp://127.0.0.1/x.png"]


# ---------------------------------------------------------------- every outbound connection, recorded
@pytest.fixture
def outbound(monkeypatch) -> list:
    """Connections and name look-ups this process tries; each is recorded and refused."""
    tried = []

    def refuse(what):
        def attempt(*args, **kwargs):
            tried.append((what, args[1:] if what.startswith("socket.") else args))
            raise ConnectionRefusedError(f"test: no outbound {what}")
        return attempt

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    return tried


def test_the_recorder_sees_a_request(outbound):
    """The check below can fail: a real fetch is recorded."""
    with pytest.raises(OSError):
        urllib.request.urlopen("http://127.0.0.1:22/", timeout=1)
    assert outbound


# ---------------------------------------------------------------- through the engine
@pytest.fixture
def uploads(tmp_path) -> dict[str, Path]:
    return make_uploads(tmp_path / "uploads")


@pytest.fixture
def engine(store, tiny_registry, uploads):
    studio = Studio(store, tiny_registry, upload_roots=(uploads["good"].parent,))
    session = studio.start_session("alice", BRIEF)
    return studio, session.id


def test_a_good_upload_opens(uploads):
    """The refusals below can fail: the same checks take an ordinary PNG."""
    with open_upload(str(uploads["good"]), "The reference", (uploads["good"].parent,)) as image:
        assert image.size == (80, 64)


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("field", ["reference", "mask"])
def test_a_url_for_an_image_is_refused_without_a_request(engine, uploads, outbound, url, field):
    studio, sid = engine
    params = RoundParams(reference=url) if field == "reference" else \
        RoundParams(reference=str(uploads["good"]), mask=url)
    before = digest(studio.store.data_dir)

    with pytest.raises(StudioError, match=f"The {field} must be an uploaded image file, not a link"):
        studio.run_round("alice", sid, "", params)

    assert outbound == []
    assert digest(studio.store.data_dir) == before


@pytest.mark.parametrize("name", REFUSED_FILES)
def test_a_bad_upload_is_refused_with_a_clear_message_and_nothing_is_stored(engine, uploads, outbound, name):
    studio, sid = engine
    before = digest(studio.store.data_dir)

    with pytest.raises(StudioError, match=REFUSED_FILES[name]) as refused:
        studio.run_round("alice", sid, "", RoundParams(reference=str(uploads[name])))

    assert str(refused.value).startswith("The reference ")
    if REFUSED_FILES[name] == UNREADABLE:
        assert str(refused.value).endswith(f"Upload a {WHAT_TO_UPLOAD}.")
    assert outbound == []
    assert digest(studio.store.data_dir) == before
    assert studio.open_session("alice", sid).rounds == ()


def test_server_paths_outside_the_upload_folder_are_refused(engine, uploads, tmp_path):
    studio, sid = engine
    folder = uploads["good"].parent
    (folder / "hostname.png").symlink_to("/etc/hostname")
    stored_elsewhere = tmp_path / "elsewhere.png"
    Image.new("RGB", (64, 64), "gold").save(stored_elsewhere)  # a real image, just not an upload
    before = digest(studio.store.data_dir)
    for path in ("/etc/hostname", str(folder / "hostname.png"), f"{folder}/../../../../../etc/hostname",
                 str(stored_elsewhere), "169.254.169.254:80/latest", "//169.254.169.254/latest"):
        with pytest.raises(StudioError, match="The reference must be a file you uploaded; upload it again."):
            studio.run_round("alice", sid, "", RoundParams(reference=path))
    assert digest(studio.store.data_dir) == before


# ---------------------------------------------------------------- through the API of a running studio
@pytest.fixture(scope="module")
def api_uploads(tmp_path_factory) -> dict[str, Path]:
    return make_uploads(tmp_path_factory.mktemp("client-files"))


@pytest.fixture(scope="module")
def mallory(hosted):
    client = Client(hosted.studio.url, verbose=False, download_files=False)
    sid, *_ = client.predict(BRIEF, api_name="/start_session")
    yield client, sid
    hang_up(client)


# The API's answer to an over-size file; gradio_client refuses it itself when the server sets max_file_size.
API_SAYS = {**API_REFUSED_FILES, "over-size": "larger than 10 MB; upload a smaller image|exceeds the maximum file size"}


def refused_by_the_api(hosted, client, sid, reference) -> str:
    """Run a round with `reference`: the refusal's message, after checking nothing was stored."""
    before = digest(hosted.data_dir)
    # ValueError: gradio_client refuses an over-size file itself once the server sets max_file_size.
    with pytest.raises((AppError, ValueError)) as refused:
        client.predict(**round_inputs(sid, reference=reference), api_name="/run_round")
    assert digest(hosted.data_dir) == before
    message = str(refused.value)
    assert "Traceback" not in message and message.strip() not in ("", "Error")
    return message


@pytest.mark.parametrize("name", API_REFUSED_FILES)
def test_a_bad_upload_through_the_api_is_refused_and_nothing_is_stored(hosted, mallory, api_uploads, name):
    client, sid = mallory
    refused_by_the_api(hosted, client, sid, handle_file(str(api_uploads[name])))
    _radio, listed = client.predict(api_name="/list_sessions")
    assert [s["rounds"] for s in listed] == [0]


# Files PIL cannot even open fail inside gr.Image's own preprocessing, before the engine sees them.
GRADIO_REFUSES_FIRST = {"text as png", "svg as png", "html as png", "bomb 20000x20000"}
GRADIO_SAYS_IT = ()  # the bug it marked is fixed


@pytest.mark.parametrize("name", [
    pytest.param(name, marks=GRADIO_SAYS_IT if name in GRADIO_REFUSES_FIRST else ()) for name in API_REFUSED_FILES])
def test_a_bad_upload_through_the_api_gets_the_engines_clear_message(hosted, mallory, api_uploads, name):
    client, sid = mallory
    message = refused_by_the_api(hosted, client, sid, handle_file(str(api_uploads[name])))
    assert re.search(API_SAYS[name], message), message
    assert str(GRADIO_UPLOADS) not in message and "index 9" not in message, message


def upload_raw(url: str, path: Path) -> tuple[int, bytes]:
    """POST one file to Gradio's upload route, as a browser does (gradio_client checks sizes itself first)."""
    boundary = secrets.token_hex(12)
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{path.name}"\r\n'
            "Content-Type: image/png\r\n\r\n").encode()
    request = urllib.request.Request(f"{url}gradio_api/upload", method="POST",
                                     data=head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode(),
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_a_small_upload_is_kept_in_the_upload_folder(hosted, api_uploads):
    """The check below can fail: an ordinary upload lands in Gradio's upload folder."""
    status, body = upload_raw(hosted.studio.url, api_uploads["good"])
    assert status == 200 and Path(json.loads(body)[0]).is_file()


def test_an_over_size_upload_is_refused_at_the_door(hosted, api_uploads, tmp_path):
    big = tmp_path / f"oversize-{secrets.token_hex(4)}.png"
    big.write_bytes(api_uploads["over-size"].read_bytes())

    status, body = upload_raw(hosted.studio.url, big)

    assert status in (400, 413), (status, body[:300])
    assert list(GRADIO_UPLOADS.rglob(big.name)) == []


@pytest.fixture
def listener():
    """A port on this machine that notes whether anybody connects."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)
    sock.settimeout(0.5)
    yield sock
    sock.close()


def nobody_came(sock: socket.socket) -> bool:
    try:
        sock.accept()[0].close()
    except socket.timeout:
        return True
    return False


def test_a_url_for_an_image_through_the_api_is_refused_without_a_request(hosted, mallory, listener):
    client, sid = mallory
    port = listener.getsockname()[1]
    for url in (f"http://127.0.0.1:{port}/latest.png", f"http://localhost:{port}/x.png", *URLS[:3]):
        as_file = {"path": url, "url": url, "orig_name": "x.png", "meta": {"_type": "gradio.FileData"}}
        for reference in (as_file, url):  # a file pointing at a URL, and the bare URL
            refused_by_the_api(hosted, client, sid, reference)
    assert nobody_came(listener)


def test_the_listener_sees_a_request(listener):
    """The check above can fail: a real request is noticed."""
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{listener.getsockname()[1]}/", timeout=0.5)
    assert not nobody_came(listener)


def call_raw(url: str, api_name: str, data: list, client: Client) -> tuple[str, dict]:
    """An API call without gradio_client (which would upload a local path instead of sending it), as `client`'s
    owner, on its connection: ("error" | "complete", payload), or ("refused", {"error": why}) at the door."""
    headers = {"Content-Type": "application/json", "Cookie": "; ".join(f"{k}={v}" for k, v in client.cookies.items())}
    request = urllib.request.Request(f"{url}gradio_api/call/{api_name}", method="POST", headers=headers,
                                     data=json.dumps({"data": data, "session_hash": client.session_hash}).encode())
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            event_id = json.load(response)["event_id"]
    except urllib.error.HTTPError as refused:
        return "refused", {"error": json.load(refused)["detail"]}
    with urllib.request.urlopen(urllib.request.Request(f"{url}gradio_api/call/{api_name}/{event_id}",
                                                       headers=headers), timeout=60) as response:
        lines = response.read().decode().splitlines()
    event = next(line.split(": ", 1)[1] for line in lines if line.startswith("event: ")
                 and line.split(": ", 1)[1] in ("error", "complete"))
    payload = lines[lines.index(f"event: {event}") + 1].split(": ", 1)[1]
    return event, json.loads(payload)


def test_a_server_path_sent_as_a_file_is_refused(hosted, mallory, alice):
    client, sid = mallory
    alices_image = next((hosted.data_dir / "images" / alice.sid).glob("*.png"))
    before = digest(hosted.data_dir)
    for path in ("/etc/hostname", "/etc/passwd", str(alices_image), str(hosted.cwd / ".env"), "data/studio.db",
                 "../../../etc/hostname"):
        inputs = round_inputs(sid, reference={"path": path, "meta": {"_type": "gradio.FileData"}})
        event, payload = call_raw(hosted.studio.url, "run_round", [*inputs.values(), ""], client)
        assert event == "refused", (path, payload)  # at the door, before Gradio reads it
        assert "was not uploaded to the studio" in payload["error"], (path, payload)
        for server_path in (str(hosted.data_dir), str(hosted.cwd), "blocked_paths", "/tmp", path):
            assert server_path not in payload["error"], (path, payload)
    assert digest(hosted.data_dir) == before
