"""The gate's parts on their own: signed browser ids, who a request is, password backoff, the queue's door and the
file grants. Clocks are injected and the queue is a stand-in with Gradio's shape, so nothing waits on time.
(tests/reliability/test_hosting.py tries the same through a running studio, over HTTP.)"""
from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from fastapi import HTTPException

from studio.web.admission import Admission, Shares
from studio.web.files import FileGrants, UploadLedger
from studio.web.identity import OWNER_HEADER, BrowserIds, oauth_owner, owner_of
from studio.web.login import LoginLimiter


# ---------------------------------------------------------------- who
def test_a_browser_id_cookie_verifies_only_as_the_server_signed_it():
    ids = BrowserIds("s" * 48)
    browser_id, cookie = ids.new()

    assert ids.verify(cookie) == browser_id
    assert ids.verify(f"{browser_id}.{'0' * 32}") is None  # the id alone, with a made-up signature
    assert ids.verify(cookie.replace(browser_id[0], "f" if browser_id[0] != "f" else "e", 1)) is None
    assert BrowserIds("t" * 48).verify(cookie) is None  # another server's secret
    for junk in (None, "", ".", "x" * 5000, "ü.ü"):
        assert ids.verify(junk) is None


def test_the_owner_of_an_event_is_what_the_gate_wrote_and_a_hugging_face_sign_in_is_its_user():
    assert owner_of(SimpleNamespace(headers={OWNER_HEADER: "user-alice"})) == "user-alice"
    assert owner_of(SimpleNamespace(headers={})) == "" and owner_of(None) == ""
    assert oauth_owner({"oauth_info": {"userinfo": {"preferred_username": "ana"}}}) == "hf-ana"
    assert oauth_owner({}) == "" and oauth_owner({"oauth_info": {"userinfo": {}}}) == ""


# ---------------------------------------------------------------- password guessing
def test_wrong_passwords_back_off_doubling_per_name_and_address_and_a_right_one_clears_them():
    now = [1000.0]
    limiter = LoginLimiter(free=3, longest=8, clock=lambda: now[0])
    for _ in range(3):
        assert limiter.wait("bob", "10.0.0.1") == 0
        limiter.failed("bob", "10.0.0.1")
    assert limiter.wait("bob", "10.0.0.1") == 1  # the 4th waits 1 s
    assert limiter.wait("Bob ", "10.0.0.2") == 1  # the name is tried from elsewhere: it waits too
    assert limiter.wait("carol", "10.0.0.1") == 1  # another name from this address waits too
    assert limiter.wait("carol", "10.0.0.3") == 0

    now[0] += 1
    limiter.failed("bob", "10.0.0.1")
    assert limiter.wait("bob", "10.0.0.1") == 2
    for _ in range(5):
        limiter.failed("bob", "10.0.0.1")
    assert limiter.wait("bob", "10.0.0.1") == 8  # never longer than `longest`
    limiter.succeeded("bob", "10.0.0.1")
    assert limiter.wait("bob", "10.0.0.1") == 0


# ---------------------------------------------------------------- the queue's door
class FakeQueue:
    """What Admission reads of Gradio's queue: its event lists, its functions, push and clean_events."""

    def __init__(self):
        self.blocks = SimpleNamespace(fns={0: SimpleNamespace(concurrency_id="gpu"),
                                           1: SimpleNamespace(concurrency_id="quick")})
        self.event_queue_per_concurrency_id = {"gpu": SimpleNamespace(queue=[]), "quick": SimpleNamespace(queue=[])}
        self.active_jobs, self.cleaned = [None, None], []

    async def push(self, body, request, username):
        fn = self.blocks.fns[body.fn_index]
        event = SimpleNamespace(_id=f"e{sum(len(q.queue) for q in self.event_queue_per_concurrency_id.values())}",
                                session_hash=body.session_hash, request=request, concurrency_id=fn.concurrency_id)
        self.event_queue_per_concurrency_id[fn.concurrency_id].queue.append(event)
        return True, event._id, "success"

    async def clean_events(self, *, event_id=None, session_hash=None):
        self.cleaned.append(event_id)
        for q in self.event_queue_per_concurrency_id.values():
            q.queue[:] = [e for e in q.queue if e._id != event_id]


def join(queue, owner: str, fn_index: int, session_hash: str = "tab", lang: str = "en"):
    request = SimpleNamespace(headers={OWNER_HEADER: owner, "accept-language": lang})
    return queue.push(body=SimpleNamespace(fn_index=fn_index, session_hash=session_hash), request=request,
                      username=None)


def test_an_owner_holds_at_most_their_share_of_rounds_and_of_requests_and_others_still_get_in():
    refused = []

    async def scenario():
        queue = FakeQueue()
        Admission(Shares(rounds=2, events=3, caller_grace=-1), "gpu", refused.append).install(queue)
        assert (await join(queue, "alice", 0))[0] and (await join(queue, "alice", 0))[0]
        with pytest.raises(HTTPException) as third:
            await join(queue, "alice", 0)
        assert (await join(queue, "bob", 0))[0]  # someone else's round gets in
        assert (await join(queue, "alice", 1))[0]  # a quick request, within her 3
        with pytest.raises(HTTPException) as fifth:
            await join(queue, "alice", 1, lang="zh-CN")
        return queue, third.value, fifth.value

    queue, third, fifth = asyncio.run(scenario())
    assert third.status_code == 429 and "2 rounds or questions queued or running" in third.detail
    assert fifth.status_code == 429 and "3 个请求" in fifth.detail  # in the caller's language
    assert refused == ["too_many_rounds", "too_many_requests"]
    assert len(queue.event_queue_per_concurrency_id["gpu"].queue) == 3  # nothing of the refused was queued


def test_a_queued_request_nobody_listens_to_is_dropped_and_a_heard_one_stays():
    dropped = []

    async def scenario():
        queue = FakeQueue()
        admission = Admission(Shares(caller_grace=-1), "gpu", dropped.append)  # no timer: the check is called
        admission.install(queue)
        _ok, unheard, _s = await join(queue, "alice", 0, session_hash="closed-tab")
        _ok, heard, _s = await join(queue, "bob", 0, session_hash="open-tab")
        admission.stream_opened("open-tab")
        admission._drop_if_unheard(queue, unheard)
        admission._drop_if_unheard(queue, heard)
        await asyncio.sleep(0)  # the drop is scheduled on the loop, as Gradio's own clean-up is
        return queue, unheard, heard

    queue, unheard, heard = asyncio.run(scenario())
    assert queue.cleaned == [unheard] and dropped == ["caller_gone"]
    assert [e._id for e in queue.event_queue_per_concurrency_id["gpu"].queue] == [heard]


# ---------------------------------------------------------------- files
def test_a_granted_cache_file_is_readable_by_its_owners_alone_and_goes_with_its_session(tmp_path):
    grants = FileGrants(tmp_path)
    shown = tmp_path / "ab12" / "image.png"
    shown.parent.mkdir()
    shown.write_bytes(b"png")
    grants.grant("alice", shown, "s1")

    assert grants.readable("alice", str(shown)) and not grants.readable("bob", str(shown))
    assert not grants.readable("bob", f"{tmp_path}/ab12/../ab12/image.png")  # the same file, spelled otherwise
    assert grants.readable("bob", str(tmp_path / "other" / "x.png"))  # nobody's: Gradio's own rules apply
    assert grants.forget_session("s1") == 1 and not shown.exists()


def test_uploads_are_counted_per_owner_while_they_live():
    now = [0.0]
    ledger = UploadLedger(max_count=2, max_bytes=100, expiry=60, clock=lambda: now[0])
    ledger.record("alice", 40)
    assert ledger.room("alice", 70) == "bytes" and ledger.room("alice", 60) is None
    ledger.record("alice", 10)
    assert ledger.room("alice", 1) == "count" and ledger.room("bob", 100) is None
    now[0] = 61  # both expired
    assert ledger.room("alice", 100) is None


# ---------------------------------------------------------------- the gate, at the ASGI level
def gate_for(keys: dict[str, str], anonymous: bool = True):
    """A gate over an app that records what reached it, with `keys` (key -> owner) as the studio's."""
    from studio.web.gate import Gate, Hosting

    seen = []

    async def app(scope, receive, send):
        seen.append(dict((k.decode(), v.decode()) for k, v in scope["headers"]))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    hosting = Hosting(grants=FileGrants("/nonexistent-cache"), uploads=UploadLedger(2, 100, 60),
                      admission=Admission(Shares(), "gpu"), logins=LoginLimiter(), owner_for_key=keys.get,
                      browser_ids=BrowserIds("s" * 48) if anonymous else None)
    return Gate(app, hosting), seen


def asgi_get(gate, path: str, headers: dict | None = None, session: dict | None = None) -> tuple[int, dict]:
    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "client": ("10.0.0.9", 1),
             "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]}
    if session is not None:
        scope["session"] = session
    answer = {}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}

    asyncio.run(gate(scope, receive, send))
    return answer["status"], answer["headers"]


def test_the_gate_writes_who_is_calling_and_drops_any_owner_the_client_claims():
    gate, seen = gate_for({"dc_" + "k" * 43: "user-alice"})

    asgi_get(gate, "/config", {OWNER_HEADER: "user-alice", "Authorization": "Bearer dc_" + "k" * 43})
    assert seen[-1][OWNER_HEADER] == "user-alice"  # from the key
    status, headers = asgi_get(gate, "/config", {OWNER_HEADER: "user-alice"})
    assert seen[-1][OWNER_HEADER].startswith("browser-") and "dc-browser=" in headers["set-cookie"]
    asgi_get(gate, "/config", {OWNER_HEADER: "user-alice"}, session={"oauth_info": {"userinfo": {
        "preferred_username": "ana"}}})
    assert seen[-1][OWNER_HEADER] == "hf-ana"  # a Hugging Face sign-in, from Gradio's signed session


def test_an_unknown_key_is_turned_away_and_a_signed_in_only_studio_makes_no_browser_ids():
    gate, seen = gate_for({}, anonymous=False)

    status, _headers = asgi_get(gate, "/config", {"Authorization": "Bearer dc_" + "x" * 43})
    assert status == 401 and not seen
    status, headers = asgi_get(gate, "/config")
    assert status == 200 and seen[-1][OWNER_HEADER] == "" and "set-cookie" not in headers
