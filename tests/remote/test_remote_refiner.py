"""The refiner on an OpenAI-compatible chat server: a real `transformers serve` on loopback (tests/remote/conftest.py)
streams it, a designer's round runs through it, Stop closes the request, a server that dies fails the round with
its address, and a failing server's answers become errors for people. Tiny models prove plumbing, never quality.
"""
from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
import urllib.parse

import pytest

pytest.importorskip("openai")

from chat_server import Served, free_port, start_server, stop, wait_ready  # noqa: E402
from fakes import Delegate, SwappedModels  # noqa: E402
from pipelines.backends import Backends, RemoteChat  # noqa: E402
from pipelines.base import Memory, ModelUnavailable, RefineRequest  # noqa: E402
from pipelines.presets import PRESETS  # noqa: E402
from pipelines.registry import ModelRegistry  # noqa: E402
from pipelines.remote.openai_chat import RemoteRefiner  # noqa: E402
from studio.core.messages import Message  # noqa: E402
from studio.core.session import RoundStatus  # noqa: E402
from studio.engine import RoundParams, Studio  # noqa: E402
from studio.engine.events import Finished, Refining  # noqa: E402

BRIEF = "a jazz night poster, navy and gold, with a saxophone"
SYSTEM = "You write one short note on a poster."
SEEN_LIMIT_S = 60  # generous: what a test waits for on the server has happened, or the test fails


def chat_for(served: Served, **settings) -> RemoteChat:
    return RemoteChat(served.base_url, served.model, api_key_env="", **settings)


def finished(events) -> object:
    assert isinstance(events[-1], Finished), events[-1]
    return events[-1].round


@contextlib.contextmanager
def holding(served: Served):
    """The server holds each reply after its first text until this ends (or the client leaves)."""
    served.hold.write_text("held\n")
    try:
        yield
    finally:
        served.hold.unlink(missing_ok=True)


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + SEEN_LIMIT_S
    while not condition():
        assert time.monotonic() < deadline, f"not seen in {SEEN_LIMIT_S} s: {what}"
        time.sleep(0.05)


def connections_to(port: int) -> set[int]:
    """This process's open TCP connections to `port`, by their local port."""
    import psutil

    return {c.laddr.port for c in psutil.Process().net_connections(kind="tcp")
            if c.raddr and c.raddr.port == port and c.status == psutil.CONN_ESTABLISHED}


class ActingAtFirstPiece(Delegate):
    """The real refiner; when the first piece of its prompt-writing reply arrives, `act()` runs before the studio
    sees it. With `held`, the server holds that reply after its first text (the round's other requests, the
    checklist's and the notes', are not held): it is still writing when `act()` runs."""

    def __init__(self, inner, act, held: Served | None = None):
        super().__init__(inner)
        self.act, self.held, self.acted, self.results = act, held, False, []

    def refine(self, request, on_token=None):
        def token(piece: str) -> None:
            if not self.acted:
                self.acted = True
                self.act()
            on_token(piece)

        with holding(self.held) if self.held else contextlib.nullcontext():
            self.results.append(self.inner.refine(request, token))
        return self.results[-1]


class Acting:
    """A `wrap_refiner` for `SwappedModels`: each refiner the studio gets acts at its first piece; all are kept."""

    def __init__(self, act, held: Served | None = None):
        self.act, self.held, self.made = act, held, []

    def __call__(self, refiner) -> ActingAtFirstPiece:
        self.made.append(ActingAtFirstPiece(refiner, self.act, self.held))
        return self.made[-1]

    @property
    def results(self) -> list:
        return [result for refiner in self.made for result in refiner.results]


@pytest.fixture(scope="module")
def remote_registry(chat_server) -> ModelRegistry:
    return ModelRegistry(PRESETS["tiny"], backends=Backends(refiner=chat_for(chat_server)))


# ---------------------------------------------------------------- the refiner on its own
def test_the_refiner_streams_its_reply_piece_by_piece_and_the_same_request_gives_the_same_reply(chat_server):
    refiner = RemoteRefiner(chat_for(chat_server))
    pieces: list[str] = []
    reply = refiner.complete(SYSTEM, BRIEF, 24, pieces.append)
    assert len(pieces) > 1 and "".join(pieces) == reply  # each delta as it came, not the reply at the end
    assert refiner.complete(SYSTEM, BRIEF, 24) == reply  # greedy: reproducible


def test_the_critics_notes_go_to_the_server_side_by_side_and_come_back_one_each_in_order(chat_server):
    notes = ["candidate 1 shows a saxophone", "candidate 2 is navy", "candidate 3 is gold and busy"]
    alone = [RemoteRefiner(chat_for(chat_server)).complete(SYSTEM, note, 12) for note in notes]
    assert len(set(alone)) == len(notes)  # distinct replies: their order can be checked

    refiner, port = RemoteRefiner(chat_for(chat_server)), urllib.parse.urlsplit(chat_server.base_url).port
    before, replies = connections_to(port), []
    with holding(chat_server):  # the first request cannot finish: the others are sent only if sent side by side
        writing = threading.Thread(target=lambda: replies.extend(refiner.complete_each(SYSTEM, notes, 12)))
        writing.start()
        wait_for(lambda: len(connections_to(port) - before) >= len(notes), "three requests in flight at once")
    writing.join(SEEN_LIMIT_S)
    assert replies == alone


# ---------------------------------------------------------------- a designer's rounds
def test_a_round_runs_with_the_refiner_on_the_server_and_its_reply_streams_to_the_page(store, remote_registry):
    assert isinstance(remote_registry.refiner(), RemoteRefiner)
    keeping = Acting(lambda: None)
    studio = Studio(store, SwappedModels(remote_registry, wrap_refiner=keeping))
    session = studio.start_session("alice", BRIEF)
    events = list(studio.run_round("alice", session.id, params=RoundParams(count=1)))
    done, written = finished(events), keeping.results[0]
    assert done.status is RoundStatus.DONE and len(done.candidates) == 1
    streamed = [e.text for e in events if isinstance(e, Refining)]
    assert len(streamed) > 1 and streamed[-1] == written.raw  # the page saw the reply grow, piece by piece
    assert (done.prompt, done.negative_prompt, done.fallback) == (written.prompt, written.negative, written.fallback)


def test_stop_while_the_server_writes_ends_the_round_stopped_and_the_server_stops_generating(
        store, remote_registry, chat_server):
    cancelled = chat_server.hold.with_suffix(".cancelled")
    cancelled.unlink(missing_ok=True)
    # held: the server is mid-reply when Stop is pressed, it cannot have finished
    stopping = Acting(lambda: studio.cancel("alice", session.id), held=chat_server)
    studio = Studio(store, SwappedModels(remote_registry, wrap_refiner=stopping))
    session = studio.start_session("alice", BRIEF)
    stopped = finished(list(studio.run_round("alice", session.id, params=RoundParams(count=1))))
    assert (stopped.status, stopped.error) == (RoundStatus.INTERRUPTED, Message("round.stopped"))
    # the held reply went on only because the server saw the client leave; then it stopped generating
    wait_for(cancelled.exists, "the server cancelled the stopped reply")


def test_a_server_that_dies_mid_reply_fails_the_round_by_its_address_and_the_session_is_intact(
        store, remote_registry, talkative_model, tmp_path):
    with start_server(talkative_model, tmp_path / "doomed", hold=tmp_path / "doomed" / "hold", ready=False) as doomed:
        studio = Studio(store, remote_registry)  # the earlier round, on the shared server while this one starts
        session = studio.start_session("alice", BRIEF)
        earlier = finished(list(studio.run_round("alice", session.id, params=RoundParams(count=1))))
        wait_ready(doomed)
        # The same studio with the refiner on the doomed server, held: it dies mid-reply, never after it.
        acting, remote = Acting(lambda: stop(doomed.process), held=doomed), RemoteRefiner(chat_for(doomed))
        killing = SwappedModels(remote_registry, wrap_refiner=lambda _shared: acting(remote))
        failed = finished(list(Studio(store, killing).run_round("alice", session.id, params=RoundParams(count=1))))
    assert (failed.status, failed.error.code) == (RoundStatus.FAILED, "model.error")
    assert doomed.base_url in failed.error.args["detail"] and "lost the connection" in failed.error.args["detail"]
    rounds = studio.open_session("alice", session.id).rounds
    assert [r.status for r in rounds] == [RoundStatus.DONE, RoundStatus.FAILED] and rounds[0] == earlier


# ---------------------------------------------------------------- a stub server: what is sent, how failures read
class Answering(http.server.BaseHTTPRequestHandler):
    """Keeps every chat request's body; answers with the server's `status`: 200 streams one short reply."""

    def do_POST(self):
        self.server.requests.append(json.loads(self.rfile.read(int(self.headers.get("content-length", 0)))))
        if self.server.status == 200:
            delta = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "PROMPT: x"}}]}
            body, kind = f"data: {json.dumps(delta)}\n\ndata: [DONE]\n\n".encode(), "text/event-stream"
        else:
            body = json.dumps({"error": {"message": "refused by the test server", "type": "test"}}).encode()
            kind = "application/json"
        self.send_response(self.server.status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet
        pass


@contextlib.contextmanager
def stub_server(status: int):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answering)
    server.status, server.requests = status, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("brief", ["一张爵士之夜的海报，藏青色和金色，有一支萨克斯风。" * 400,
                                   "a jazz night poster, navy and gold, with a saxophone. " * 400],
                         ids=["chinese", "english"])
def test_a_long_memory_in_chinese_or_english_is_cut_to_what_the_servers_context_holds(brief):
    from transformers import AutoTokenizer

    from pipelines import tiny

    memory = Memory(brief=brief, corrections=(brief, brief), image_reports=(brief,))
    with stub_server(200) as server:
        chat = RemoteChat(f"http://127.0.0.1:{server.server_port}/v1", "poster-writer", api_key_env="",
                          context_tokens=2048)
        refiner = RemoteRefiner(chat)
        refiner.refine(RefineRequest(memory, max_new_tokens=100))
    sent = server.requests[0]
    system, user = (message["content"] for message in sent["messages"])
    # The tiny Qwen2's byte-level BPE takes a token per byte of Chinese: the bound's worst case, met exactly.
    tokenizer = AutoTokenizer.from_pretrained(tiny.ensure("qwen2"))
    context = tokenizer.apply_chat_template(sent["messages"], add_generation_prompt=True, tokenize=True,
                                            return_dict=True)["input_ids"]
    assert len(context) + sent["max_tokens"] <= chat.context_tokens
    # cut to fit, not emptied (user_message halves its longest line until the whole fits: at least ~half is kept)
    assert len(user.encode()) > 0.4 * refiner.user_budget(system, 100) and refiner.user_budget(system, 100) > 900
    assert (sent["temperature"], sent["seed"], sent["stream"]) == (0, 0, True)  # greedy and reproducible


@pytest.mark.parametrize("status, requests, words", [
    (503, 3, "failed (503) after 2 retries: look at the server's log"),
    (429, 3, "over its rate limit (429) after 2 retries"),
    (401, 1, "refused the key (401): check the key in $DC_TEST_KEY"),
    (404, 1, "does not serve the model 'poster-writer' (404)"),
])
def test_a_failing_server_is_retried_when_it_may_recover_then_named_in_the_error(monkeypatch, status, requests, words):
    monkeypatch.setenv("DC_TEST_KEY", "a wrong key")
    with stub_server(status) as server:
        chat = RemoteChat(f"http://127.0.0.1:{server.server_port}/v1", "poster-writer", api_key_env="DC_TEST_KEY")
        with pytest.raises(ModelUnavailable) as raised:
            RemoteRefiner(chat).complete(SYSTEM, BRIEF, 12)
    assert len(server.requests) == requests  # the first request, and the SDK's max_retries=2 retries where they help
    assert words in str(raised.value) and chat.base_url in str(raised.value)


def test_a_server_that_is_not_running_is_said_so():
    chat = RemoteChat(f"http://127.0.0.1:{free_port()}/v1", "poster-writer", api_key_env="")
    with pytest.raises(ModelUnavailable, match="refused the connection: is it running") as raised:
        RemoteRefiner(chat).complete(SYSTEM, BRIEF, 12)
    assert chat.base_url in str(raised.value)
