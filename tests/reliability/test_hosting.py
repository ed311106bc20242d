"""Issue 15: the studio hosted for many people, tried the way an attacker and an unlucky host would, over raw HTTP
where the attack was raw HTTP. Each test names the item of the issue it reproduces.

Two studios: the shared anonymous one (`hosted`, conftest.py: a local studio, browser ids in signed cookies) and,
here, one with sign-in (`--auth`), small quotas and a short caller grace.
"""
from __future__ import annotations

import http.cookiejar
import json
import re
import socket
import urllib.parse
import time
import urllib.error
import urllib.request
from dataclasses import replace

import pytest
from PIL import Image
from gradio_client import Client

from kit import BRIEF, fetch, round_inputs, studio_process
from server import hang_up
from studio.core.session import Candidate, Mark, Round, RoundStatus
from studio.engine import Studio
from studio.services.sessions import Store
from studio.settings import parse_settings

PASSWORDS = {"alice": "a-long-passphrase", "bob": "another-passphrase"}
SESSIONS = 5  # each owner's quota in the signed-in studio: alice's tests make 4


class Browser:
    """A browser without a page: one cookie jar, raw requests."""

    def __init__(self, url: str, jar: http.cookiejar.CookieJar | None = None):
        self.url, self.jar = url.rstrip("/"), jar or http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, path: str, body=None, method: str | None = None, headers: dict | None = None,
                form: bool = False) -> tuple[int, dict, bytes]:
        data = None
        if body is not None:
            data = (urllib.parse.urlencode(body) if form else json.dumps(body)).encode()
        kind = "application/x-www-form-urlencoded" if form else "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": kind, **(headers or {})})
        try:
            with self.opener.open(req, timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read()

    def config(self) -> dict:
        return json.loads(self.request("/config")[2])

    def fn(self, api_name: str) -> int:
        return next(d["id"] for d in self.config()["dependencies"] if d.get("api_name") == api_name)

    def inputs(self, api_name: str, *first) -> tuple[int, list]:
        """The event's id and its inputs as the page sends them: `first`, then each control's value on the page."""
        config = self.config()
        dep = next(d for d in config["dependencies"] if d.get("api_name") == api_name)
        values = {c["id"]: c.get("props", {}).get("value") for c in config["components"]}
        return dep["id"], [*first, *(values.get(i) for i in dep["inputs"][len(first):])]

    def call(self, api_name: str, *data):
        """`/gradio_api/call/<api_name>` and its stream, as curl would: the last data the stream sends."""
        status, _h, body = self.request(f"/gradio_api/call/{api_name}", {"data": list(data)})
        assert status == 200, body
        event = json.loads(body)["event_id"]
        stream = self.request(f"/gradio_api/call/{api_name}/{event}")[2].decode()
        return json.loads(stream.rsplit("data: ", 1)[-1])


@pytest.fixture(scope="module")
def signed_in(tmp_path_factory):
    """A studio with sign-in, two rounds per owner, SESSIONS sessions per owner, two uploads, a 1 s caller grace.
    No stop grace: the rounds the greedy owner leaves queued are stopped when the module ends, not waited for."""
    folder = tmp_path_factory.mktemp("signed-in")
    auth = ",".join(f"{u}:{p}" for u, p in PASSWORDS.items())
    with studio_process("--data-dir", str(folder / "data"), "--auth", auth, "--sessions-per-owner", str(SESSIONS),
                        "--uploads-per-owner", "2", "--caller-grace", "1", "--stop-grace", "0",
                        log_dir=folder) as studio:
        studio.data_dir = folder / "data"
        yield studio


def sign_in(url: str, user: str) -> Browser:
    browser = Browser(url)
    status, _h, body = browser.request("/login", {"username": user, "password": PASSWORDS[user]}, form=True)
    assert status == 200, body
    return browser


# ---------------------------------------------------------------- 1. who you are
def test_a_forged_browser_cookie_is_a_stranger_not_its_owner(hosted, alice):
    """Item 1: the owner was the browser id the client sent; now a cookie only the server can sign."""
    own = alice.client.cookies["dc-browser"]
    forged = Browser(hosted.studio.url)
    forged.jar.set_cookie(_cookie("dc-browser", own.split(".")[0] + "." + "0" * 32))

    _radio, listed = forged.call("list_sessions")
    assert alice.sid not in json.dumps(listed)
    assert forged.jar and all(c.value != own for c in forged.jar if c.name == "dc-browser")  # a fresh id given


def test_the_page_load_called_raw_with_someone_elses_ids_shows_only_the_callers_own(hosted, alice):
    """Item 1: the private page-load event took the browser id from its input; it now reads who you are from the
    request, whatever the input says."""
    stranger = Browser(hosted.studio.url)
    config = stranger.config()
    load = next(d for d in config["dependencies"] if d["targets"] and d["targets"][0][1] == "load")
    status, _h, body = stranger.request("/gradio_api/queue/join", {
        "data": [{"id": alice.client.cookies["dc-browser"].split(".")[0], "session": alice.sid, "lang": "en"}, "en"],
        "fn_index": load["id"], "session_hash": "stranger-load", "trigger_id": None})
    assert status == 200, body
    stream = stranger.request("/gradio_api/queue/data?session_hash=stranger-load")[2].decode()
    assert "process_completed" in stream
    assert alice.sid not in stream and "jazz" not in stream.lower()


def test_nobody_reads_or_joins_another_connections_stream(hosted, alice):
    """Item 1: a session hash was enough to read a stream or act as its connection."""
    owner, other = Browser(hosted.studio.url), Browser(hosted.studio.url)
    list_fn = owner.fn("list_sessions")
    assert owner.request("/gradio_api/queue/join", {"data": [], "fn_index": list_fn, "session_hash": "tab-1"})[0] == 200

    assert other.request("/gradio_api/queue/data?session_hash=tab-1")[0] == 403
    assert other.request("/gradio_api/queue/join", {"data": [], "fn_index": list_fn, "session_hash": "tab-1"})[0] == 403
    assert other.request("/gradio_api/cancel", {"session_hash": "tab-1", "fn_index": list_fn, "event_id": "x"})[0] == 403
    assert owner.request("/gradio_api/queue/data?session_hash=tab-1")[0] == 200  # the check can fail: hers opens


@pytest.mark.parametrize("route", ["/gradio_api/deep_link?session_hash=tab-1", "/gradio_api/run/list_sessions",
                                   "/gradio_api/api/list_sessions", "/monitoring"])
def test_routes_a_studio_does_not_use_are_closed(hosted, route):
    """Items 1 and 3: deep links wrote a connection's state to a file; /run answered outside the queue."""
    method = "POST" if "/run/" in route or "/api/" in route else "GET"
    status, _h, body = Browser(hosted.studio.url).request(route, {"data": []} if method == "POST" else None,
                                                           method=method)
    assert status == 404, body


def test_a_studio_open_to_others_without_sign_in_refuses_to_start(monkeypatch, capsys):
    """Item 1: `--host 0.0.0.0` without auth says so loudly, unless the host explicitly allows anonymous use."""
    for name in ("SPACE_ID", "DC_ALLOW_ANONYMOUS", "DC_HOST", "DC_AUTH", "OAUTH_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit):
        parse_settings(["--host", "0.0.0.0"])
    said = capsys.readouterr().err
    assert "--allow-anonymous" in said and "no sign-in" in said
    assert parse_settings(["--host", "0.0.0.0", "--allow-anonymous"]).hosting.allow_anonymous
    assert not parse_settings(["--host", "0.0.0.0", "--auth", "a:b"]).hosting.allow_anonymous


def test_sign_in_with_hugging_face_is_a_spaces_and_there_nobody_is_anonymous(monkeypatch, capsys):
    for name in ("SPACE_ID", "DC_ALLOW_ANONYMOUS", "DC_HOST", "DC_AUTH", "OAUTH_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit):
        parse_settings(["--oauth"])
    assert "Space" in capsys.readouterr().err
    monkeypatch.setenv("SPACE_ID", "studio/demo")
    monkeypatch.setenv("OAUTH_CLIENT_ID", "a-client-id")  # what a Space with `hf_oauth: true` is given
    settings = parse_settings([])
    assert settings.hosting.oauth and not settings.hosting.allow_anonymous


def test_signed_in_users_cannot_read_each_others_streams(signed_in):
    """Item 1, under --auth: bob reading alice's queue/data received her stream, brief included."""
    alice, bob = sign_in(signed_in.url, "alice"), sign_in(signed_in.url, "bob")
    start = alice.fn("start_session")
    status, _h, _b = alice.request("/gradio_api/queue/join", {"data": [BRIEF, None, "en"], "fn_index": start,
                                                              "session_hash": "alice-tab"})
    assert status == 200

    status, _h, body = bob.request("/gradio_api/queue/data?session_hash=alice-tab")
    assert status == 403 and b"jazz" not in body.lower()
    assert b"jazz" in alice.request("/gradio_api/queue/data?session_hash=alice-tab")[2].lower()


def test_a_key_is_its_designer_on_a_studio_with_sign_in_without_the_password(signed_in, tiny_registry):
    """Item 1: scripts send an API key, made by a signed-in designer, and are that designer."""
    with Store(signed_in.data_dir) as store:  # beside the running studio, as its page would make it
        key, _made = Studio(store, tiny_registry).create_api_key("user-alice", "nightly renders")
    script = Client(signed_in.url, headers={"Authorization": f"Bearer {key}"}, verbose=False, download_files=False)
    sid, *_ = script.predict("a key's session", api_name="/start_session")
    alice = Client(signed_in.url, auth=("alice", PASSWORDS["alice"]), verbose=False, download_files=False)

    assert sid in [s["id"] for s in alice.predict(api_name="/list_sessions")[1]]
    assert Browser(signed_in.url).request("/config", headers={"Authorization": "Bearer dc_" + "x" * 43})[0] == 401
    assert Browser(signed_in.url).request("/config")[0] == 401  # and nobody gets in without one or a password
    hang_up(script), hang_up(alice)


def test_a_review_link_opens_without_signing_in_and_nothing_else_does(signed_in, tiny_registry):
    """Issue 17: a client reads what a signed-in designer shared, with no account; the rest stays behind sign-in."""
    with Store(signed_in.data_dir) as store:  # beside the running studio, as its page would make it
        studio = Studio(store, tiny_registry)
        sid = studio.start_session("user-carol", "a tea label, green and cream", "Crane tea").id  # no one's quota
        shown = Round(0, "", RoundStatus.DONE, candidates=(Candidate(0, f"{sid}/r0-c0.png", 7, mark=Mark.PICKED),))
        store.update_session(sid, lambda s: replace(s, rounds=(shown,)))
        token, _link = studio.create_review_link("user-carol", sid)

    status, headers, body = Browser(signed_in.url).request(f"/review/{token}")
    assert status == 200 and "Crane tea" in body.decode()
    assert {k.lower(): v for k, v in headers.items()}["referrer-policy"] == "no-referrer"
    assert Browser(signed_in.url).request("/config")[0] == 401


# ---------------------------------------------------------------- 2. fair shares
def test_one_owner_cannot_queue_more_rounds_than_their_share(signed_in):
    """Item 2: 66 fire-and-forget joins filled the queue for everyone. Now the owner's third is refused at once,
    and bob's page and list still answer."""
    alice = Client(signed_in.url, auth=("alice", PASSWORDS["alice"]), verbose=False, download_files=False)
    sids = [alice.predict(f"{BRIEF} {k}", api_name="/start_session")[0] for k in range(2)]
    greedy = Browser(signed_in.url, _jar(alice))
    answers = []
    for k, sid in enumerate([*sids, sids[0]]):
        run, data = greedy.inputs("run_round", sid, "")
        answers.append(greedy.request("/gradio_api/queue/join", {"data": data, "fn_index": run,
                                                                 "session_hash": f"greedy-{k}"}))

    assert [a[0] for a in answers] == [200, 200, 429]
    assert "rounds or questions queued or running" in json.loads(answers[2][2])["detail"]
    bob = Client(signed_in.url, auth=("bob", PASSWORDS["bob"]), verbose=False, download_files=False)
    assert bob.predict(api_name="/list_sessions")[1] == []
    hang_up(alice), hang_up(bob)
    metrics = Browser(signed_in.url).request("/metrics")[2].decode()  # the host sees it, without signing in
    assert re.search(r'studio_refusals_total\{kind="too_many_rounds"\} [1-9]', metrics), metrics[-2000:]


def test_sessions_and_uploads_have_a_quota_per_owner(signed_in, tmp_path):
    """Item 2: 1,000 sessions in 23 s; 30 uploads of 10 MB, kept for ever."""
    bob = Client(signed_in.url, auth=("bob", PASSWORDS["bob"]), verbose=False, download_files=False)
    for k in range(SESSIONS - len(bob.predict(api_name="/list_sessions")[1])):
        bob.predict(f"a bakery logo {k}", api_name="/start_session")
    with pytest.raises(Exception, match="sessions"):
        bob.predict("one too many", api_name="/start_session")

    browser = Browser(signed_in.url, _jar(bob))
    answers = [_upload(browser, tmp_path / f"ref-{k}.png", k) for k in range(3)]
    assert [status for status, _ in answers] == [200, 200, 429]
    assert "uploads waiting to be used" in json.loads(answers[2][1])["detail"]
    hang_up(bob)


# ---------------------------------------------------------------- 4. bounded input
def test_a_two_million_row_table_is_refused_before_it_is_read(hosted):
    """Item 4: 18.5 s to refuse, other clients stalled 16 s, RSS ~0.9 GB higher for good."""
    rss_before = _rss_kb(hosted.studio.process.pid)
    rows = json.dumps([["x", "visual", False]] * 2_000_000)
    body = (f'{{"data": ["{"0" * 32}", {{"headers": ["item", "kind", "pinned"], "data": {rows}}}], '
            f'"fn_index": 1, "session_hash": "big"}}').encode()
    started = time.perf_counter()
    status = _raw_post(hosted.studio.url, "/gradio_api/queue/join", body)
    took = time.perf_counter() - started

    assert status == 413 and took < 1.0
    assert _rss_kb(hosted.studio.process.pid) - rss_before < 50_000  # kB: nothing was built from it


# ---------------------------------------------------------------- 5. images only for their owner
def test_a_shown_image_is_served_to_its_owner_only_and_goes_with_its_session(hosted):
    """Item 5: gallery copies in Gradio's cache were served to anyone with the URL, even after the session was
    deleted."""
    carol = Client(hosted.studio.url, verbose=False, download_files=False)
    sid, *_ = carol.predict(BRIEF, api_name="/start_session")
    _chat, gallery, status, *_ = carol.predict(**round_inputs(sid, count=1), api_name="/run_round")
    url = gallery[0]["image"]["url"]

    assert fetch(url, cookies=carol.cookies)[0] == 200
    assert fetch(url)[0] == 404  # a stranger
    carol.predict(sid, api_name="/delete")
    assert fetch(url, cookies=carol.cookies)[0] in (403, 404)  # gone from the cache
    hang_up(carol)


# ---------------------------------------------------------------- 8. hardened HTTP
def test_password_guessing_is_slowed_down_and_the_right_password_waits_too(signed_in):
    """Item 8: 500 wrong passwords in 0.6 s, then the right one worked."""
    guesser = Browser(signed_in.url)
    statuses = [guesser.request("/login", {"username": "bob", "password": f"guess-{k}"}, form=True)[0]
                for k in range(6)]
    status, headers, body = guesser.request("/login", {"username": "bob", "password": PASSWORDS["bob"]}, form=True)

    assert statuses[:5] == [400] * 5 and statuses[5] == 429
    assert status == 429 and int(headers["retry-after"]) >= 1 and b"wrong passwords" in body


@pytest.mark.parametrize("path", ["/", "/config", "/gradio_api/info"])
def test_every_answer_carries_the_security_headers(hosted, path):
    """Item 8: no CSP, X-Frame-Options or nosniff."""
    _status, headers, _body = Browser(hosted.studio.url).request(path)
    headers = {k.lower(): v for k, v in headers.items()}
    csp = headers["content-security-policy"]
    assert "img-src 'self' data: blob:" in csp and "frame-ancestors 'self'" in csp and "connect-src 'self'" in csp
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "SAMEORIGIN"


def test_other_origins_get_no_cors_answer(hosted):
    """Item 8: CORS echoed any localhost origin, with credentials."""
    browser = Browser(hosted.studio.url)
    _s, headers, _b = browser.request("/config", headers={"Origin": "http://localhost:9999"})
    assert "access-control-allow-origin" not in {k.lower() for k in headers}
    status, headers, _b = browser.request("/gradio_api/queue/join", method="OPTIONS", headers={
        "Origin": "http://localhost:9999", "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in {k.lower() for k in headers} and status >= 400


# ---------------------------------------------------------------- 9. messages that leak
def test_a_refused_file_never_names_the_servers_paths(hosted):
    """Item 9: refusals named server paths (`blocked_paths (…/studio.db…)`)."""
    status, body = fetch(f"{hosted.studio.url}gradio_api/file={hosted.data_dir / 'studio.db'}")
    assert status in (403, 404)
    assert str(hosted.data_dir) not in body.decode() and "studio.db" not in body.decode()


# ---------------------------------------------------------------- helpers
def _cookie(name: str, value: str) -> http.cookiejar.Cookie:
    return http.cookiejar.Cookie(0, name, value, None, False, "127.0.0.1", False, False, "/", True, False, None,
                                 False, None, None, {})


def _jar(client: Client) -> http.cookiejar.CookieJar:
    jar = http.cookiejar.CookieJar()
    for name, value in client.cookies.items():
        jar.set_cookie(_cookie(name, value))
    return jar


def _upload(browser: Browser, path, k: int) -> tuple[int, bytes]:
    Image.new("RGB", (64, 64), (k * 40, 10, 10)).save(path)
    boundary = "dcboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{path.name}\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    status, _h, answer = _post_bytes(browser, "/gradio_api/upload", body, f"multipart/form-data; boundary={boundary}")
    return status, answer


def _post_bytes(browser: Browser, path: str, body: bytes, kind: str) -> tuple[int, dict, bytes]:
    req = urllib.request.Request(browser.url + path, data=body, headers={"Content-Type": kind}, method="POST")
    try:
        with browser.opener.open(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def _raw_post(url: str, path: str, body: bytes) -> int:
    """POST with a socket: the server may answer before the body is sent, which urllib takes for a failure."""
    host, port = url.split("//")[1].strip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                  f"Content-Length: {len(body)}\r\n\r\n".encode())
        try:
            s.sendall(body[:65536])
        except OSError:
            pass
        return int(s.recv(200).split(b" ")[1])


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
