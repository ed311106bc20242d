"""Hostile input at every door: each engine action, and the API's endpoints, fuzzed with Hypothesis.

Issue 7, item 4. 720 generated inputs in all, derandomized so that a failure repeats:

- 660 through the engine (`ENGINE_EXAMPLES`, one entry per action): huge and empty strings, any
  unicode, control characters, lone surrogates, negative and huge numbers, nan and inf, wrong types
  (None, bools, bytes, lists, dicts, tuples), unknown ids and another owner's real session id. Each
  call succeeds or raises `StudioError` with a message; a refusal leaves every row and every file as
  it was; a round is refused before its first event, or runs to `Finished`, done.
- 60 through `gradio_client` against one `python app.py` (`API_EXAMPLES`): every answer is a result
  or an `AppError` that reads as a sentence, never a traceback; a refusal changes nothing on disk;
  the server logs no exception from our code other than a refusal.

The engine runs on instant models (a refiner, generator, critic and captioner of a few lines), so
hundreds of rounds take seconds; each example starts from a fresh copy of one prepared data folder.
Known bugs (`KNOWN_BUGS`) are tolerated here and pinned by strict xfail tests at the end: fixing one
makes its xfail pass, which fails the run until both entries are removed.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import shutil
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image

from fakes import FixedScorer, FixedSegmenter, ScriptedCaptioner, ScriptedCritic
from pipelines.base import RefinedPrompt, StepEvent
from pipelines.presets import PRESETS
from server import hang_up, running_studio
from studio.core import limits
from studio.engine.validation import StudioError
from studio.engine import RoundParams, Studio
from studio.engine.events import AutoStopped, Finished
from studio.core.session import RoundStatus
from studio.core.session_json import session_to_dict
from studio.services.sessions import Store

REPO = Path(__file__).resolve().parents[2]
BRIEF = "A poster for a jazz night, art deco, navy and gold"

ENGINE_EXAMPLES = {
    "start_session": 40, "list_sessions": 20, "open_session": 30, "rename": 35, "delete": 30,
    "give_feedback": 60, "set_checklist": 45, "edit_brief": 30, "set_preferences": 40, "ask": 35,
    "agreement": 15, "cancel": 20, "run_round": 200, "run_auto": 60,
    "keep_settings": 45, "round_params": 40, "round_images": 25, "image": 30,
    "create_api_key": 20, "list_api_keys": 10, "revoke_api_key": 25, "owner_for_key": 25,
    "shut_down": 15,
    "edit_region": 60, "fix_item": 40, "propose_fix_mask": 25, "vary": 30, "upscale": 40, "add_references": 35,
    "start_from_images": 25, "set_reference_use": 30, "follows_style": 1,
    "reproduce": 30, "compare": 40,
    "switch_branch": 30, "undo": 15, "redo": 15,
    "export_session": 20, "client_report": 15, "import_session": 30,
    "create_review_link": 30, "list_review_links": 10, "revoke_review_link": 20, "review": 20, "client_note": 60,
    "search_text": 30, "search_images": 15, "search_similar": 25,
}
API_EXAMPLES = {
    "/start_session": 6, "/rename": 6, "/open_session": 5, "/pick": 8, "/set_checklist": 10,
    "/set_preferences": 8, "/cancel": 3, "/delete": 4, "/run_round": 10, "/show_round": 4, "/keep_settings": 6,
    "/edit_region": 5, "/vary": 4, "/upscale": 4, "/reproduce": 4, "/compare": 5,
    "/create_review_link": 5, "/revoke_review_link": 4,
    "/search_text": 5, "/search_similar": 4,
    "/export_session": 4, "/client_report": 3,
}
FUZZ = settings(derandomize=True, database=None, deadline=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.large_base_example])

# Bugs found by this file that are not fixed yet, each pinned by a strict xfail test: (exception type, pattern).
KNOWN_BUGS: dict = {}  # every bug this file found is fixed; a new one goes here with its xfail


def known_bug(err: BaseException) -> str | None:
    return next((name for name, (kind, pattern) in KNOWN_BUGS.items()
                 if type(err) is kind and re.search(pattern, str(err))), None)


# ---------------------------------------------------------------- instant models
class InstantRefiner:
    model_id = "instant/refiner"

    def refine(self, request, on_token=None) -> RefinedPrompt:
        if on_token is not None:
            on_token("a poster")
        return RefinedPrompt(f"a poster, {request.memory.brief[:80]}", "blurry", "instant", "", False)

    def complete(self, system: str, user: str, max_new_tokens: int, on_token=None) -> str:
        return ""  # unusable on purpose: the checklist and directions fall back to the brief's clauses

    def complete_each(self, system: str, users, max_new_tokens: int) -> list[str]:
        return [""] * len(users)  # no notes: the critic composes its summaries


class InstantGenerator:
    model_id, scheduler, max_prompt_tokens, prompt_language = "instant/generator", "none", 75, "English"

    def count_prompt_tokens(self, text: str) -> int:
        return len(text.split())

    def describe_environment(self) -> dict[str, str]:
        return {"device": "cpu", "dtype": "float32", "torch": "instant", "diffusers": "instant",
                "transformers": "instant"}

    def render(self, request, on_step=None) -> list[Image.Image]:
        if on_step is not None:
            on_step(StepEvent(1, 1))
        return [Image.new("RGB", (request.width, request.height), (seed % 256, 40, 90)) for seed in request.seeds]


class InstantUpscaler:
    model_id, method, max_factor = "instant/upscaler", "nearest", 4

    def describe(self, request) -> str:
        return f"nearest ×{request.factor}"

    def upscale(self, request, on_step=None) -> Image.Image:
        return request.image.resize((request.image.width * request.factor, request.image.height * request.factor))


class InstantModels:
    """The engine's `Models` interface, answering at once: hundreds of rounds in seconds."""

    preset = PRESETS["tiny"]

    def __init__(self):
        self._refiner, self._generator = InstantRefiner(), InstantGenerator()
        self._segmenter, self._upscaler = FixedSegmenter((0.25, 0.25, 0.75, 0.75)), InstantUpscaler()
        self._critic = ScriptedCritic(lambda call, count: [50.0] * count)
        self._captioner = ScriptedCaptioner(lambda place, question: "yes")
        self._scorer = FixedScorer()

    def refiner(self):
        return self._refiner

    def generator(self):
        return self._generator

    def critic(self):
        return self._critic

    def captioner(self):
        return self._captioner

    def segmenter(self):
        return self._segmenter

    def upscaler(self):
        return self._upscaler

    def scorer(self):
        return self._scorer

    def add_listener(self, listener) -> None:
        pass

    def remove_listener(self, listener) -> None:
        pass


# ---------------------------------------------------------------- the workshop each example starts from
@dataclass(frozen=True)
class Ref:
    """A real id or path, known only once the prepared folder exists: another owner's session, a stored image."""

    name: str

    def __repr__(self) -> str:
        return f"<{self.name}>"


@dataclass
class Prepared:
    root: Path
    data: Path
    uploads: Path
    ids: dict[str, str]  # Ref name -> a session id, or a file's path relative to the data folder


@dataclass
class Workshop:
    studio: Studio
    store: Store
    prepared: Prepared

    def real(self, value):
        """`value`, with a `Ref` replaced by what it names in this copy of the data folder."""
        if not isinstance(value, Ref):
            return value
        found = self.prepared.ids[value.name]
        stored = value.name.endswith(("session", "stored image", "key", "key id", "token", "link id"))  # not a file: as it is
        return found if stored else str(self.store.data_dir / found)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Prepared:
    """Alice and Bob, each with a session and a done round of two candidates; Alice picked one."""
    root = tmp_path_factory.mktemp("fuzz")
    uploads = root / "uploads"
    uploads.mkdir()
    Image.linear_gradient("L").resize((64, 64)).convert("RGB").save(uploads / "reference.png")
    Image.new("L", (64, 64), 255).save(uploads / "mask.png")
    Image.new("L", (64, 64), 0).save(uploads / "black.png")
    Image.new("L", (32, 16), 255).save(uploads / "small-mask.png")
    (uploads / "notes.png").write_text("not an image")
    data = root / "data"
    with Store(data) as store:
        studio = Studio(store, InstantModels(), upload_roots=(uploads,))
        ids = {}
        for owner in ("alice", "bob"):
            session = studio.start_session(owner, BRIEF)
            events = list(studio.run_round(owner, session.id, params=RoundParams(count=2, seed=7)))
            ids[f"{owner}'s session"], ids[f"{owner}'s image"] = session.id, events[-1].round.candidates[0].image
            ids[f"{owner}'s stored image"] = ids[f"{owner}'s image"]
        studio.give_feedback("alice", ids["alice's session"], 0, "pick", 0, "love the type")
        studio.add_references("alice", ids["alice's session"], [str(uploads / "reference.png")])
        for owner in ("alice", "bob"):
            ids[f"{owner}'s key"], made = studio.create_api_key(owner, "render script")
            ids[f"{owner}'s key id"] = made.id
        revoked, made = studio.create_api_key("alice", "revoked")
        studio.revoke_api_key("alice", made.id)
        key = ids["alice's key"]
        ids["alice's revoked key"], ids["alice's altered key"] = revoked, key[:-1] + ("A" if key[-1] != "A" else "B")
        ids["the database"] = store.db_path.name
        ids["alice's token"], link = studio.create_review_link("alice", ids["alice's session"])
        ids["alice's link id"] = link.id
        ids["alice's revoked token"], link = studio.create_review_link("alice", ids["alice's session"])
        studio.revoke_review_link("alice", link.id)
        ids["bob's link id"] = studio.create_review_link("bob", ids["bob's session"])[1].id
    return Prepared(root, data, uploads, ids)


@contextlib.contextmanager
def workshop(prepared: Prepared):
    with tempfile.TemporaryDirectory(dir=prepared.root) as folder:
        data = Path(folder) / "data"
        shutil.copytree(prepared.data, data)
        with Store(data) as store:
            yield Workshop(Studio(store, InstantModels(), upload_roots=(prepared.uploads,)), store, prepared)


def digest(store: Store) -> str:
    """Everything a refused action must leave alone: every row, every session as the store reads it,
    every file in the data folder, the database and its write-ahead log included (not the WAL's index,
    `-shm`: shared memory that readers write to as well)."""
    h = hashlib.sha256()
    with contextlib.closing(sqlite3.connect(store.db_path)) as db:
        for table in ("sessions", "rounds", "candidates"):
            h.update(repr(db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()).encode())
        ids = [sid for (sid,) in db.execute("SELECT id FROM sessions ORDER BY id")]
    for sid in ids:
        h.update(json.dumps(session_to_dict(store.load_session(sid)), sort_keys=True).encode())
    for path in sorted(store.data_dir.rglob("*")):
        h.update(path.relative_to(store.data_dir).as_posix().encode())
        if path.is_file() and not path.name.endswith("-shm"):
            h.update(path.read_bytes())
    return h.hexdigest()


def every_session_loads(store: Store) -> None:
    with contextlib.closing(sqlite3.connect(store.db_path)) as db:
        ids = [sid for (sid,) in db.execute("SELECT id FROM sessions")]
    for sid in ids:
        assert store.load_session(sid) is not None


REFUSED = object()


def attempt(w: Workshop, action, *args):
    """`action(*args)`: its result, or REFUSED after checking that the refusal says something and changed nothing."""
    before = digest(w.store)
    try:
        result = action(*args)
    except StudioError as err:
        assert str(err).strip(), "a refusal without a message"
        assert digest(w.store) == before, f"refused ({err}) but the store changed"
        return REFUSED
    except Exception as err:
        if known_bug(err) is None:
            raise
        assert digest(w.store) == before, f"{err!r} changed the store"
        return REFUSED
    every_session_loads(w.store)
    return result


def attempt_round(w: Workshop, start) -> None:
    """A round (or an auto run) is refused before its first event, or runs to its end, done."""
    events = attempt(w, start)
    if events is REFUSED:
        return
    events = list(events)  # no refusal may come once the round has started
    assert isinstance(events[-1], (Finished, AutoStopped)), events[-1]
    for event in events:
        if isinstance(event, Finished):
            assert event.round.status is RoundStatus.DONE, f"accepted settings failed mid-round: {event.round.error}"
    every_session_loads(w.store)


def explore(arguments: dict, examples: int, check) -> int:
    """`check(args)` on `examples` generated argument sets: every argument good, then each one bad in turn
    with the rest good, then every one bad. `arguments` maps each name to its (good, bad) strategies.
    Each check is reached, the deep ones too. Returns how many ran."""
    choices = [None, *arguments, "all"]  # "all" last: it takes up what a choice with few inputs left over
    ran = 0
    for done, broken in enumerate(choices, start=1):
        share = round(examples * done / len(choices)) - ran
        if share < 1:
            continue

        @settings(FUZZ, max_examples=share)
        @given(args=st.fixed_dictionaries({name: bad if broken in (name, "all") else good
                                           for name, (good, bad) in arguments.items()}))
        def run(args):
            nonlocal ran
            ran += 1
            check(args)

        run()
    return ran


def fuzz(prepared: Prepared, action: str, call=None, **arguments) -> None:
    """`call(workshop, **args)` on ENGINE_EXAMPLES[action] generated argument sets, each on a fresh workshop.
    Without `call`: `attempt` the engine's `action` itself, given the arguments in the order named here."""
    def check(args):
        with workshop(prepared) as w:
            real = {name: w.real(args[name]) for name in arguments}
            if call is None:
                attempt(w, getattr(w.studio, action), *real.values())
            else:
                call(w, **real)

    ran = explore(arguments, ENGINE_EXAMPLES[action], check)
    assert ran >= ENGINE_EXAMPLES[action], f"Hypothesis ran {ran} of {ENGINE_EXAMPLES[action]} examples"


# ---------------------------------------------------------------- what a caller may send
NASTY_TEXT = ["", " ", "\n\t \r", "\x00", "a\x00b", "\ud800", "x\udfffy", "\u202eevil", "\x1b[31mred\x1b[0m",
              "\u0085\u2028\u2029", "\ufeff", "🎷" * 40, "𝔍𝔞𝔷𝔷 ＡＢＣ", "e\u0301" * 50, "<script>alert(1)</script>",
              "'; DROP TABLE sessions; --", "../../../etc/passwd", "{prompt}", "%s%s%n", "None", "0"]
EDGE_LENGTHS = [119, 120, 121, 199, 200, 201, 299, 300, 301, 999, 1000, 1001, 1999, 2000, 2001, 100_000]
BIG = [2**31, limits.MAX_SEED, 2**32, 2**63, 10**30, 10**400]


def either(*choices):
    """One of `choices`, each as likely (`st.one_of` soon stops drawing a branch of few values, like a `just`)."""
    return st.sampled_from(choices).flatmap(lambda choice: choice)


texts = either(
    st.text(max_size=40),  # any unicode, control characters included
    st.sampled_from(NASTY_TEXT),
    st.builds(lambda ch, n: ch * n, st.characters(), st.sampled_from(EDGE_LENGTHS)),  # empty to huge
)
numbers = either(st.integers(-3, 12), st.integers(), st.sampled_from(BIG + [-n for n in BIG]),
                 st.floats())  # floats: nan, inf, -0.0, subnormals
wrong_types = either(
    st.none(), st.booleans(), st.binary(max_size=12), st.complex_numbers(max_magnitude=10),
    st.lists(st.integers() | st.text(max_size=5), max_size=3), st.tuples(st.integers(), st.text(max_size=3)),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2), st.just(Path("/etc/passwd")))
anything = either(texts, numbers, wrong_types)
EDGE_NUMBERS = [-1, 0, 2**63, 2**1024, 10**400, -10**400, 10**5000, math.nan, math.inf, -math.inf, 1e308, 5e-324,
                -0.0, True, False, "1", None]  # 2**1024 and beyond: no float holds them; 10**5000: no str either
bad_number = either(st.sampled_from(EDGE_NUMBERS), st.sampled_from(EDGE_NUMBERS), numbers, wrong_types)  # edges twice
UNHASHABLE = [["swiss"], {"key": "swiss"}, {"swiss"}, [["pick"]]]

OWNER = (st.just("alice"), either(st.sampled_from(["bob", "carol", "ALICE", "alice\n", "al ice", ""]), anything))
SESSION = (st.just(Ref("alice's session")),  # Bob's is the foreign id: twice as likely as any other bad one
           either(st.just(Ref("bob's session")), st.just(Ref("bob's session")), st.uuids().map(lambda u: u.hex),
                  anything))
ROUND = (st.sampled_from([0, 0.0]), either(st.sampled_from([1, 10**6]), bad_number))
CANDIDATE = (st.sampled_from([0, 1, 1.0]), either(st.sampled_from([2, None]), bad_number))
SOME_TEXT = (st.text(min_size=1, max_size=60), anything)

checklist_row = st.tuples(
    st.text(min_size=1, max_size=30), st.sampled_from(["visual", "text", "avoid", "", None, "VISUAL", "other"]),
    st.sampled_from([True, False, None, "yes", "no", 0, 1, "maybe", 2])).map(list)
preference_row = st.tuples(
    st.text(min_size=1, max_size=30), st.sampled_from(["like", "dislike", "LIKE", "", None, "love"])).map(list)


def table(row, limit: int):
    """(good, bad): rows of the right shape, or rows of anything, too many rows, or not a table."""
    any_rows = st.lists(either(row, st.lists(either(texts, numbers, wrong_types), max_size=5)), max_size=limit + 3)
    return (st.lists(row, max_size=limit),
            either(any_rows, any_rows.map(lambda data: {"headers": ["a", "b", "c"], "data": data}), anything))


UPLOAD = "<uploads>/"  # a file in the upload folder, by name


def paths(uploaded: list[str]):
    """Where an image file is expected: links, the server's own files, another owner's image, NUL bytes."""
    return st.sampled_from([
        "/etc/passwd", "../../../../etc/passwd", "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:22",
        "file:///etc/passwd", "", ".", "/tmp", "/tmp/a\x00b.png", "\x00", UPLOAD + "reference.png\x00", *uploaded,
        Ref("bob's image"), Ref("alice's image"), Ref("the database")])
GOOD_SETTINGS = {
    "count": st.integers(1, 3), "steps": st.sampled_from([None, 1, 2]),
    "guidance": st.sampled_from([None, 0, 0.0, 7.5, 20.0]), "width": st.sampled_from([None, 64, 128, 256]),
    "height": st.sampled_from([None, 64, 128.0]), "seed": either(st.none(), st.integers(0, limits.MAX_SEED - 8)),
    "negative": either(st.sampled_from(["", "blurry, text"]), st.text(max_size=30)),
    "reference": st.sampled_from([None, None, UPLOAD + "reference.png"]),
    "mask": st.sampled_from([None, None, None, UPLOAD + "mask.png"]),
    "from_candidate": st.sampled_from([None, None, (0, 0), (0, 1), [0, 1]]),
    "strength": st.sampled_from([0.6, 0.05, 1.0, 1]), "style": st.sampled_from(["", "swiss", "art-deco", None]),
    "directions": st.sampled_from([0, 0, 0, 2, 3]),
}
BAD_SETTINGS = {name: anything for name in GOOD_SETTINGS} | {
    name: bad_number for name in ("count", "steps", "guidance", "seed", "strength", "directions")} | {
    "width": either(st.sampled_from([0, -64, 32, 63, 65, 100, 320, 4096, 64.5, "64"]), bad_number),
    "height": bad_number,
    "from_candidate": either(st.tuples(bad_number, bad_number), st.lists(st.integers(-1, 3), max_size=3), anything),
    "reference": either(paths([UPLOAD + "notes.png", UPLOAD + "gone.png", UPLOAD]), anything),
    "mask": either(paths([UPLOAD + "notes.png"]), anything),
    "style": either(st.sampled_from(["nope", "SWISS", "../swiss", "swiss.json", *UNHASHABLE]), anything),
}
# Each setting is an argument of its own, so each is the one broken as often as the owner is; `as_params`
# False sends the same fields as a dict, the way a careless script might.
SETTINGS = {name: (GOOD_SETTINGS[name], BAD_SETTINGS[name]) for name in GOOD_SETTINGS} | {
    "as_params": (st.just(True), st.just(False))}


def settings_from(w: Workshop, as_params: bool, **fields_):
    """The settings, with upload names made into real paths (`Ref`s are already)."""
    def real(value):
        if isinstance(value, str) and value.startswith(UPLOAD):
            return str(w.prepared.uploads / value[len(UPLOAD):])
        return value

    fields_ = {name: real(value) for name, value in fields_.items()}
    return RoundParams(**fields_) if as_params else fields_


# ---------------------------------------------------------------- every engine action
def test_the_engine_sees_at_least_500_generated_inputs():
    assert sum(ENGINE_EXAMPLES.values()) >= 500
    public = {name for cls in Studio.__mro__[:-1] for name in vars(cls) if not name.startswith("_")}
    assert set(ENGINE_EXAMPLES) == public  # every action


def test_start_session_takes_any_brief_or_refuses_it_cleanly(prepared):
    def start(w, owner, brief, title):
        session = attempt(w, w.studio.start_session, owner, brief, title)
        if session is not REFUSED:
            assert w.studio.open_session(owner, session.id).brief == session.brief

    fuzz(prepared, "start_session", start, owner=OWNER, brief=SOME_TEXT,
         title=(st.sampled_from(["", "Jazz night"]), anything))


def owns(w: Workshop, owner, session) -> bool:
    return any(owner == who and session == w.real(Ref(f"{who}'s session")) for who in ("alice", "bob"))


def test_list_sessions_shows_only_the_callers_own(prepared):
    def list_(w, owner):
        listed = attempt(w, w.studio.list_sessions, owner)
        if listed is not REFUSED:
            assert all(owns(w, owner, s.id) for s in listed)

    fuzz(prepared, "list_sessions", list_, owner=OWNER)


def test_open_session_never_opens_anothers(prepared):
    def open_(w, owner, session):
        opened = attempt(w, w.studio.open_session, owner, session)
        assert (opened is not REFUSED) == owns(w, owner, session)

    fuzz(prepared, "open_session", open_, owner=OWNER, session=SESSION)


def test_rename_takes_any_title_or_refuses_it_cleanly(prepared):
    fuzz(prepared, "rename", owner=OWNER, session=SESSION,
         title=(st.text(min_size=1, max_size=limits.MAX_TITLE_CHARS), anything))


def test_delete_removes_only_the_callers_own(prepared):
    def delete(w, owner, session):
        mine = owns(w, owner, session)
        assert (attempt(w, w.studio.delete, owner, session) is not REFUSED) == mine
        left = {s for s in (w.real(Ref("alice's session")), w.real(Ref("bob's session"))) if w.store.load_session(s)}
        assert left == {w.real(Ref("alice's session")), w.real(Ref("bob's session"))} - {session if mine else None}

    fuzz(prepared, "delete", delete, owner=OWNER, session=SESSION)


def test_give_feedback_takes_any_note_or_refuses_it_cleanly(prepared):
    fuzz(prepared, "give_feedback", owner=OWNER, session=SESSION, round_index=ROUND,
         kind=(st.sampled_from(["pick", "reject", "correction"]),
               either(st.sampled_from(["PICK", "love", "", *UNHASHABLE]), anything)), candidate=CANDIDATE,
         text=(st.sampled_from(["too busy", "love the type", "🎷"]), anything))


def test_set_checklist_takes_any_table_or_refuses_it_cleanly(prepared):
    fuzz(prepared, "set_checklist", owner=OWNER, session=SESSION,
         rows=table(checklist_row, limits.MAX_CHECKLIST_ITEMS))


def test_edit_brief_takes_any_brief_or_refuses_it_cleanly(prepared):
    fuzz(prepared, "edit_brief", owner=OWNER, session=SESSION, brief=SOME_TEXT)


def test_set_preferences_takes_any_table_or_refuses_it_cleanly(prepared):
    fuzz(prepared, "set_preferences", owner=OWNER, session=SESSION,
         rows=table(preference_row, limits.MAX_PREFERENCES))


def test_ask_takes_any_question_or_refuses_it_cleanly(prepared):
    fuzz(prepared, "ask", owner=OWNER, session=SESSION, round_index=ROUND, candidate=CANDIDATE,
         question=(st.sampled_from(["is the text readable?", "🎷?"]), anything))


def test_agreement_reads_only_the_callers_own(prepared):
    fuzz(prepared, "agreement", owner=OWNER, session=SESSION)


def test_cancel_stops_nothing_it_does_not_own(prepared):
    def cancel(w, owner, session):
        assert attempt(w, w.studio.cancel, owner, session) in (REFUSED, False)  # nothing is running

    fuzz(prepared, "cancel", cancel, owner=OWNER, session=SESSION)


def test_run_round_refuses_bad_settings_before_its_first_event(prepared):
    def round_(w, owner, session, message, **settings_):
        attempt_round(w, lambda: w.studio.run_round(owner, session, message, settings_from(w, **settings_)))

    fuzz(prepared, "run_round", round_, owner=OWNER, session=SESSION,
         message=(st.sampled_from(["", "warmer palette"]), anything), **SETTINGS)


def test_run_auto_refuses_bad_settings_before_its_first_round(prepared):
    def auto(w, owner, session, rounds, **settings_):
        attempt_round(w, lambda: w.studio.run_auto(owner, session, rounds, settings_from(w, **settings_)))

    fuzz(prepared, "run_auto", auto, owner=OWNER, session=SESSION,
         rounds=(st.sampled_from([1, 2, 3.0, limits.MAX_AUTO_ROUNDS]), bad_number), **SETTINGS)


PAGE_SETTINGS = {  # the designer's settings, as the page names them (studio.core.params.ROUND_SETTINGS)
    "count": (st.integers(1, 3), bad_number), "steps": (st.sampled_from([None, 1, 2]), bad_number),
    "size": (st.sampled_from([None, 64, 128, 256.0]),
             either(st.sampled_from([0, -64, 32, 100, 4096, 64.5, "64"]), bad_number)),
    "guidance": (st.sampled_from([None, 0, 7.5, 20.0]), bad_number),
    "seed": (either(st.just(-1), st.integers(0, limits.MAX_SEED - 8)), bad_number),
    "style": (st.sampled_from(["", "swiss", None]), BAD_SETTINGS["style"]),
    "negative": (st.text(max_size=30), anything), "strength": (st.sampled_from([0.6, 0.05, 1]), bad_number),
    "reference": (st.sampled_from([None, "", UPLOAD + "reference.png"]), wrong_types),
    "start_from": (st.sampled_from(["", "1.1", "1.2", " 2.3 "]),
                   either(st.sampled_from(["2", "0.1", "1.0", "x.y", "1.2.3", "1e3.1", "9" * 5000 + ".1"]), anything)),
}
page_settings = (st.fixed_dictionaries({}, optional={name: good for name, (good, _) in PAGE_SETTINGS.items()}),
                 either(st.fixed_dictionaries({}, optional={name: bad for name, (_, bad) in PAGE_SETTINGS.items()}),
                        st.dictionaries(texts, anything, max_size=3), anything))


def test_keep_settings_keeps_checked_values_or_refuses_them_cleanly(prepared):
    def keep(w, owner, session, settings_):
        kept = attempt(w, w.studio.keep_settings, owner, session, settings_)
        if kept is not REFUSED:
            assert owns(w, owner, session) and w.store.load_session(session).settings == kept.settings
            assert set(kept.settings) <= set(PAGE_SETTINGS) - {"reference", "start_from"}
            assert w.studio.round_params(kept.settings)  # what is kept is what a round takes

    fuzz(prepared, "keep_settings", keep, owner=OWNER, session=SESSION, settings_=page_settings)


def test_shut_down_takes_a_grace_in_seconds_or_refuses_it_cleanly(prepared):
    def shut_down(w, grace):
        before = digest(w.store)
        try:
            report = w.studio.shut_down(grace)
        except StudioError as err:
            assert str(err).strip() and digest(w.store) == before and not w.store.closed
            return
        assert (report.finished, report.stopped, report.left_running) == (0, 0, 0) and w.store.closed
        with pytest.raises(StudioError, match="shutting down"):  # every action after it
            w.studio.list_sessions("alice")

    fuzz(prepared, "shut_down", shut_down, grace=(either(st.floats(0, 60), st.integers(0, 3600)), bad_number))


def test_round_params_takes_the_pages_settings_or_refuses_them_cleanly(prepared):
    def convert(w, settings_):
        params = attempt(w, w.studio.round_params, settings_)
        assert params is REFUSED or isinstance(params, RoundParams)

    fuzz(prepared, "round_params", convert, settings_=page_settings)


def test_round_images_shows_only_the_callers_own(prepared):
    def show(w, owner, session, round_index):
        shown = attempt(w, w.studio.round_images, owner, session, round_index)
        if shown is not REFUSED:
            assert owns(w, owner, session) and all(isinstance(image, Image.Image) for image, _ in shown)
            assert all(c.image.startswith(f"images/{session}/") for _, c in shown)

    fuzz(prepared, "round_images", show, owner=OWNER, session=SESSION, round_index=ROUND)


def test_image_opens_only_the_callers_own_stored_files(prepared):
    def open_(w, owner, session, path):
        opened = attempt(w, w.studio.image, owner, session, path)
        if opened is not REFUSED:
            assert owns(w, owner, session) and isinstance(opened, Image.Image)
            assert path.startswith(f"images/{session}/")

    fuzz(prepared, "image", open_, owner=OWNER, session=SESSION,
         path=(st.just(Ref("alice's stored image")),
               either(st.just(Ref("bob's stored image")), paths([UPLOAD + "reference.png"]), anything)))


def test_create_api_key_takes_any_label_or_refuses_it_cleanly(prepared):
    def create(w, owner, label):
        made = attempt(w, w.studio.create_api_key, owner, label)
        if made is not REFUSED:
            key, record = made
            assert w.studio.owner_for_key(key) == owner and key[8:] not in repr(w.studio.list_api_keys(owner))

    fuzz(prepared, "create_api_key", create, owner=OWNER, label=(st.text(max_size=limits.MAX_KEY_LABEL_CHARS),
                                                                 anything))


def test_list_api_keys_shows_only_the_callers_own(prepared):
    def list_(w, owner):
        listed = attempt(w, w.studio.list_api_keys, owner)
        if listed is not REFUSED:
            assert all(owner == "alice" or k.label == "render script" for k in listed)
            assert {k.id for k in listed if not k.revoked} == ({w.real(Ref(f"{owner}'s key id"))}
                                                               if owner in ("alice", "bob") else set())

    fuzz(prepared, "list_api_keys", list_, owner=OWNER)


def test_revoke_api_key_revokes_only_the_callers_own(prepared):
    def revoke(w, owner, key_id):
        mine = any(owner == who and key_id == w.real(Ref(f"{who}'s key id")) for who in ("alice", "bob"))
        assert (attempt(w, w.studio.revoke_api_key, owner, key_id) is not REFUSED) == mine
        alices = w.studio.owner_for_key(w.real(Ref("alice's key")))
        assert alices == (None if mine and owner == "alice" else "alice")

    fuzz(prepared, "revoke_api_key", revoke, owner=OWNER,
         key_id=(st.just(Ref("alice's key id")),
                 either(st.just(Ref("bob's key id")), st.sampled_from(["", "0123456789ab", "ABCDEF012345"]), anything)))


def test_owner_for_key_names_only_the_owner_of_a_made_unrevoked_key(prepared):
    def who(w, key):
        before = digest(w.store)
        named = w.studio.owner_for_key(key)  # never a refusal: anything but a key names nobody
        made = {w.real(Ref("alice's key")): "alice", w.real(Ref("bob's key")): "bob"}
        assert named == (made.get(key) if isinstance(key, str) else None)
        if named is None:
            assert digest(w.store) == before

    fuzz(prepared, "owner_for_key", who, key=(st.just(Ref("alice's key")), either(
        st.sampled_from([Ref("bob's key"), Ref("alice's revoked key"), Ref("alice's altered key")]),
        st.from_regex(r"dc_[A-Za-z0-9_-]{43}", fullmatch=True), anything)))


# ---------------------------------------------------------------- work on images
ITEM = (st.sampled_from(["navy and gold", "NAVY AND GOLD", 1, 2.0]),
        either(st.sampled_from(["a unicorn", "", 0, 99, 1.5]), anything))
MASKS = (st.sampled_from([UPLOAD + "mask.png", UPLOAD + "small-mask.png"]),
         either(paths([UPLOAD + "notes.png", UPLOAD + "black.png", UPLOAD + "gone.png"]), anything))
IMAGES = (st.lists(st.sampled_from([UPLOAD + "reference.png", UPLOAD + "small-mask.png"]), min_size=1, max_size=4),
          either(st.lists(paths([UPLOAD + "notes.png"]), max_size=6), anything))
USE = (st.sampled_from(["context", "", None]), either(st.sampled_from(["style", "mood", "CONTEXT"]), anything))
STRENGTH = (st.sampled_from([None, 0.0, 0.5, 1]), bad_number)


def uploads_of(w: Workshop, value):
    """`value` with upload names made real paths, also inside a list."""
    if isinstance(value, list):
        return [uploads_of(w, v) for v in value]
    return str(w.prepared.uploads / value[len(UPLOAD):]) if isinstance(value, str) and value.startswith(UPLOAD) \
        else value


def image_round(action: str, *own: str):
    """A round of image work: refused before its first event, or done, its source recorded."""
    def call(w, owner, session, round_index, candidate, as_params=True, **rest):
        values = [uploads_of(w, rest.pop(name)) for name in own]
        params = settings_from(w, as_params, **rest)
        attempt_round(w, lambda: getattr(w.studio, action)(owner, session, round_index, candidate, *values, params))
    return call


def test_edit_region_refuses_bad_masks_and_settings_before_its_first_event(prepared):
    fuzz(prepared, "edit_region", image_round("edit_region", "instruction", "mask", "strength_"), owner=OWNER,
         session=SESSION, round_index=ROUND, candidate=CANDIDATE, instruction=SOME_TEXT, mask=MASKS,
         strength_=STRENGTH, count=SETTINGS["count"], seed=SETTINGS["seed"], as_params=SETTINGS["as_params"])


def test_fix_item_refuses_unknown_items_and_bad_masks_before_its_first_event(prepared):
    fuzz(prepared, "fix_item", image_round("fix_item", "item", "mask"), owner=OWNER, session=SESSION,
         round_index=ROUND, candidate=CANDIDATE, item=ITEM, mask=(st.sampled_from([None, UPLOAD + "mask.png"]),
                                                                  MASKS[1]),
         count=SETTINGS["count"], as_params=SETTINGS["as_params"])


def test_propose_fix_mask_locates_only_in_the_callers_own(prepared):
    def propose(w, owner, session, round_index, candidate, item):
        found = attempt(w, w.studio.propose_fix_mask, owner, session, round_index, candidate, item)
        if found is not REFUSED:
            assert owns(w, owner, session) and found[0].mask.size == (64, 64)

    fuzz(prepared, "propose_fix_mask", propose, owner=OWNER, session=SESSION, round_index=ROUND,
         candidate=CANDIDATE, item=ITEM)


def test_vary_takes_subtle_or_strong_or_refuses_cleanly(prepared):
    fuzz(prepared, "vary", image_round("vary", "how"), owner=OWNER, session=SESSION, round_index=ROUND,
         candidate=CANDIDATE, how=(st.sampled_from(["subtle", "strong"]), either(st.sampled_from(
             ["wild", "SUBTLE", *UNHASHABLE]), anything)), count=SETTINGS["count"], as_params=SETTINGS["as_params"])


def test_upscale_takes_candidates_and_a_factor_or_refuses_cleanly(prepared):
    def upscale(w, owner, session, round_index, candidates, factor, as_params, **rest):
        params = settings_from(w, as_params, **rest)
        attempt_round(w, lambda: w.studio.upscale(owner, session, round_index, candidates, factor, params))

    fuzz(prepared, "upscale", upscale, owner=OWNER, session=SESSION, round_index=ROUND,
         candidates=(st.sampled_from([[0], [0, 1], [1, 1], 0, (1,)]),
                     either(st.lists(bad_number, max_size=3), st.lists(st.integers(0, 1), min_size=9), anything)),
         factor=(st.sampled_from([2, 4, 2.0]), either(st.sampled_from([3, 8, 1]), bad_number)),
         seed=SETTINGS["seed"], as_params=SETTINGS["as_params"])


def test_add_references_reads_checked_images_or_refuses_them_cleanly(prepared):
    def add(w, owner, session, files, use, strength):
        added = attempt(w, w.studio.add_references, owner, session, uploads_of(w, files), use, strength)
        if added is not REFUSED:
            assert owns(w, owner, session) and all(r.image.startswith(f"images/{session}/") for r in added.references)

    fuzz(prepared, "add_references", add, owner=OWNER, session=SESSION, files=IMAGES, use=USE, strength=STRENGTH)


def test_start_from_images_makes_a_session_of_the_callers_own_or_refuses_cleanly(prepared):
    def start(w, owner, files, words):
        session = attempt(w, w.studio.start_from_images, owner, uploads_of(w, files), words)
        if session is not REFUSED:
            assert session.owner == owner and session.brief and session.references

    fuzz(prepared, "start_from_images", start, owner=OWNER, files=IMAGES,
         words=(st.sampled_from(["", "a poster from it"]), anything))


def test_set_reference_use_changes_only_the_callers_own(prepared):
    fuzz(prepared, "set_reference_use", owner=OWNER, session=SESSION,
         number=(st.sampled_from([1, 1.0]), bad_number), use=USE, strength=STRENGTH)


def test_follows_style_says_what_the_preset_can(prepared):
    def follows(w):
        assert w.studio.follows_style() is (PRESETS["tiny"].ip_adapter is not None)

    fuzz(prepared, "follows_style", follows)


def test_switch_branch_moves_only_the_callers_own_head(prepared):
    fuzz(prepared, "switch_branch", owner=OWNER, session=SESSION, round=(st.sampled_from([0, 0.0]), bad_number))


def test_undo_and_redo_move_only_the_callers_own_head(prepared):
    fuzz(prepared, "undo", owner=OWNER, session=SESSION)
    fuzz(prepared, "redo", owner=OWNER, session=SESSION)


def test_reproduce_renders_only_the_callers_own_and_changes_nothing(prepared):
    def reproduce(w, owner, session, round_index, candidate):
        before = digest(w.store)
        again = attempt(w, w.studio.reproduce, owner, session, round_index, candidate)
        if again is not REFUSED:
            assert owns(w, owner, session) and again.report.identical and digest(w.store) == before

    fuzz(prepared, "reproduce", reproduce, owner=OWNER, session=SESSION, round_index=ROUND, candidate=CANDIDATE)


PAIR = (st.sampled_from([(0, 0), [0, 1], (0, 1.0)]),
        either(st.tuples(bad_number, bad_number), st.lists(st.integers(-1, 3), max_size=3),
               st.sampled_from(["1.1", (1, 0), (0, 2), (0, 0, 0)]), anything))


def test_compare_aligns_only_the_callers_own_candidates_and_changes_nothing(prepared):
    def compare(w, owner, session, first, second):
        before = digest(w.store)
        compared = attempt(w, w.studio.compare, owner, session, first, second)
        if compared is not REFUSED:
            assert owns(w, owner, session) and compared.comparison.rows and digest(w.store) == before

    fuzz(prepared, "compare", compare, owner=OWNER, session=SESSION, first=PAIR, second=PAIR)


SEARCH_LIMIT = (st.sampled_from([1, 24, limits.MAX_SEARCH_RESULTS]), bad_number)
QUERY = (st.sampled_from(["jazz", "爵士", "海报 jazz", '"', "*", "NEAR(", "'", "a OR b", "col:x", "%_"]),
         either(st.sampled_from(["x" * 10_000, " ".join("abcdefghi")]), anything))


def test_search_finds_only_the_callers_own_or_refuses_cleanly(prepared):
    def search(w, owner, query, limit):
        found = attempt(w, w.studio.search_text, owner, query, limit)
        if found is not REFUSED:
            assert all(owns(w, owner, hit.session_id) for hit in found.hits) and len(found.hits) <= limit

    fuzz(prepared, "search_text", search, owner=OWNER, query=QUERY, limit=SEARCH_LIMIT)


def test_search_by_image_finds_only_the_callers_own_or_refuses_cleanly(prepared):
    def search(w, owner, text, limit):
        found = attempt(w, w.studio.search_images, owner, text, limit)
        if found is not REFUSED:
            assert all(owns(w, owner, hit.session_id) for hit in found.hits) and len(found.hits) <= limit

    fuzz(prepared, "search_images", search, owner=OWNER, text=QUERY, limit=SEARCH_LIMIT)

    def similar(w, owner, session, round_index, candidate, limit):
        found = attempt(w, w.studio.search_similar, owner, session, round_index, candidate, limit)
        if found is not REFUSED:
            assert owns(w, owner, session) and all(owns(w, owner, hit.session_id) for hit in found.hits)

    fuzz(prepared, "search_similar", similar, owner=OWNER, session=SESSION, round_index=ROUND, candidate=CANDIDATE,
         limit=SEARCH_LIMIT)


# ---------------------------------------------------------------- the harness can fail; the known bugs, pinned
def test_the_harness_sees_a_store_change(prepared):
    """`attempt` can fail: a refusal that had written something is caught."""
    def writes_then_refuses(w: Workshop):
        w.studio.rename("alice", w.real(Ref("alice's session")), "changed")
        raise StudioError("session.missing")  # any refusal

    with workshop(prepared) as w, pytest.raises(AssertionError, match="store changed"):
        attempt(w, writes_then_refuses, w)


BUG_CASES = {
    "a checklist row of four cells": (
        "a table row longer than its columns",
        lambda w: w.studio.set_checklist("alice", w.real(Ref("alice's session")),
                                         [["a saxophone", "visual", False, "x"]])),
    "a preference row of three cells": (
        "a table row longer than its columns",
        lambda w: w.studio.set_preferences("alice", w.real(Ref("alice's session")), [["bold type", "like", "x"]])),
    "feedback of kind ['pick']": (
        "an unhashable feedback kind or style",
        lambda w: w.studio.give_feedback("alice", w.real(Ref("alice's session")), 0, ["pick"], 0)),
    "a style given as a list": (
        "an unhashable feedback kind or style",
        lambda w: list(w.studio.run_round("alice", w.real(Ref("alice's session")), "", RoundParams(style=["swiss"])))),
    "guidance 10**400": (
        "a number too large for a float",
        lambda w: list(w.studio.run_round("alice", w.real(Ref("alice's session")), "", RoundParams(guidance=10**400)))),
    "steps 10**5000": (
        "a whole number too long to print",
        lambda w: list(w.studio.run_round("alice", w.real(Ref("alice's session")), "", RoundParams(steps=10**5000)))),
    "a reference path with a NUL byte": (
        "a file name with a NUL byte",
        lambda w: list(w.studio.run_round("alice", w.real(Ref("alice's session")), "",
                                          RoundParams(reference=str(w.prepared.uploads / "a\x00.png"))))),
}


@pytest.mark.parametrize("bug, action", BUG_CASES.values(), ids=BUG_CASES.keys())
def test_a_known_bug_is_refused_as_a_studio_error(prepared, bug, action):
    with workshop(prepared) as w:
        before = digest(w.store)
        try:
            action(w)
        except StudioError:
            assert digest(w.store) == before
            return
        except Exception as err:
            assert known_bug(err) == bug, f"{err!r} is not the known bug {bug!r}"
            raise
        pytest.fail("accepted")


def test_a_candidate_given_as_a_whole_float_is_stored_as_a_whole_number(prepared):
    with workshop(prepared) as w:
        session = w.studio.give_feedback("alice", w.real(Ref("alice's session")), 0, "reject", 1.0, "too busy")
        assert [type(f.candidate) for f in session.feedback] == [int, int]


# ---------------------------------------------------------------- the API, through gradio_client
@dataclass
class Api:
    log_file: Path
    data: Path
    designer: Client
    own: str  # the designer's session, with a done round of two candidates
    foreign: str  # another designer's session


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    data = tmp_path_factory.mktemp("api") / "data"
    with running_studio(data) as running:
        designer, other = Client(running.url, verbose=False), Client(running.url, verbose=False)
        own = designer.predict(BRIEF, api_name="/start_session")[0]
        _chat, _gallery, status, *_ = designer.predict(own, "", count=2, steps=2, size=64, guidance=0.0, seed=7,
                                                       api_name="/run_round")
        assert status == "Round 1 done.", running.log[-3000:]
        foreign = other.predict(BRIEF, api_name="/start_session")[0]
        try:
            yield Api(running.log_file, data, designer, own, foreign)
        finally:
            hang_up(designer)
            hang_up(other)


def disk_digest(data: Path) -> str:
    """The running studio's rows and image files, read from outside it."""
    h = hashlib.sha256()
    with contextlib.closing(sqlite3.connect(data / "studio.db")) as db:
        for table in ("sessions", "rounds", "candidates"):
            h.update(repr(db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()).encode())
    for path in sorted((data / "images").rglob("*")):
        h.update(path.relative_to(data).as_posix().encode())
        if path.is_file():
            h.update(path.read_bytes())
    return h.hexdigest()


OUR_CODE = tuple(str(REPO / part) for part in ("studio", "pipelines", "app.py"))
REFUSALS = ("studio.engine.validation.StudioError", "gradio.exceptions.Error")


def crashes_in_our_code(log: str) -> list[str]:
    """The exception line of each logged traceback that passes through our code and is not a refusal."""
    crashes, frames = [], None
    for line in log.splitlines():
        if line.startswith("Traceback (most recent call last):"):
            frames = []
        elif frames is not None and line.startswith(" "):
            frames.append(line)
        elif frames is not None:
            if any(path in frame for frame in frames for path in OUR_CODE) and not line.startswith(REFUSALS):
                crashes.append(line)
            frames = None
    return crashes


def test_the_log_reader_finds_a_crash_and_passes_a_refusal():
    log = ('Traceback (most recent call last):\n  File "{0}/studio/checks.py", line 99, in checklist\n'
           "ValueError: too many values to unpack (expected 3)\n"
           'Traceback (most recent call last):\n  File "{0}/studio/ui.py", line 53, in wrapper\n'
           'gradio.exceptions.Error: "The brief is empty."\n'
           'Traceback (most recent call last):\n  File "/site-packages/gradio/blocks.py", line 2167\n'
           "pydantic_core._pydantic_core.ValidationError: 1 validation error\n").format(REPO)
    assert crashes_in_our_code(log) == ["ValueError: too many values to unpack (expected 3)"]


def call_api(api: Api, endpoint: str, *args, tolerate_known_bugs: bool = True) -> None:
    """One call: a result, or an AppError that reads as a sentence, changed nothing and crashed nothing."""
    before, logged = disk_digest(api.data), len(api.log_file.read_text(errors="replace"))
    try:
        api.designer.predict(*args, api_name=endpoint)
    except AppError as err:
        message = str(err)
        assert message.strip() and message.strip() != "Error", f"{endpoint} refused without a message"
        assert "Traceback" not in message and 'File "' not in message, f"{endpoint} sent a traceback: {message}"
        assert disk_digest(api.data) == before, f"{endpoint} refused ({message}) but the store changed"
    known = KNOWN_BUGS.values() if tolerate_known_bugs else ()
    crashes = [line for line in crashes_in_our_code(api.log_file.read_text(errors="replace")[logged:])
               if not any(line.startswith(kind.__name__) and re.search(pattern, line) for kind, pattern in known)]
    assert not crashes, f"{endpoint} crashed in our code: {crashes}"


# JSON carries no nan, inf, bytes or lone surrogates: the API is fuzzed with what a client can send.
json_texts = either(st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
                    st.sampled_from([t for t in NASTY_TEXT if not re.search(r"[\ud800-\udfff]", t)]),
                    st.builds(lambda ch, n: ch * n, st.characters(exclude_categories=["Cs"]),
                              st.sampled_from(EDGE_LENGTHS)))
json_numbers = either(st.integers(-3, 12), st.integers(-2**70, 2**70), st.floats(allow_nan=False, allow_infinity=False))
json_junk = either(st.none(), st.booleans(), st.lists(st.integers() | st.text(max_size=5), max_size=3),
                   st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))
json_anything = either(json_texts, json_numbers, json_junk)
FRESH = "<a session started for this call>"


def api_table(headers: list[str], good_row) -> tuple:
    rows = st.lists(either(good_row, st.lists(json_anything, max_size=len(headers) + 1)), max_size=4)
    return (st.lists(good_row, max_size=4).map(lambda data: {"headers": headers, "data": data}),
            either(rows.map(lambda data: {"headers": headers, "data": data}), json_anything))


def fuzz_api(api: Api, endpoint: str, **arguments) -> None:
    """API_EXAMPLES[endpoint] calls of `endpoint`, its arguments in the API's order, drawn as the engine's are."""
    def check(args):
        values = [args[name] for name in arguments]
        if FRESH in values:
            values[values.index(FRESH)] = api.designer.predict(BRIEF, api_name="/start_session")[0]
        call_api(api, endpoint, *values)

    ran = explore(arguments, API_EXAMPLES[endpoint], check)
    assert ran >= API_EXAMPLES[endpoint], f"Hypothesis ran {ran} of {API_EXAMPLES[endpoint]} examples"


def test_the_api_answers_any_input_with_a_result_or_a_clear_refusal(api):
    sid = (st.just(api.own), either(st.just(api.foreign), st.just(api.foreign), st.uuids().map(lambda u: u.hex),
                                     json_anything))
    some_text = (st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=40), json_anything)
    fuzz_api(api, "/start_session", brief=some_text)
    fuzz_api(api, "/rename", session_id=sid, title=some_text)
    fuzz_api(api, "/open_session", session_id=sid)
    fuzz_api(api, "/show_round", session_id=sid, round=(st.just(1), json_anything))
    fuzz_api(api, "/pick", session_id=sid, round=(st.just(1), json_anything),
             candidate=(st.sampled_from([1, 2]), json_anything),
             reason=(st.sampled_from(["", "bold"]), json_anything))
    fuzz_api(api, "/set_checklist", session_id=sid, rows=api_table(["item", "kind", "pinned"], st.tuples(
        st.text(min_size=1, max_size=20), st.sampled_from(["visual", "text", "avoid"]), st.booleans()).map(list)))
    fuzz_api(api, "/set_preferences", session_id=sid, rows=api_table(["taste", "like or dislike"], st.tuples(
        st.text(min_size=1, max_size=20), st.sampled_from(["like", "dislike"])).map(list)))
    fuzz_api(api, "/cancel", session_id=sid)
    fuzz_api(api, "/delete", session_id=(st.just(FRESH), sid[1]))
    settings = dict(count=(st.just(1), json_anything), steps=(st.just(1), json_anything),
                    size=(st.just(64), either(st.sampled_from([0, 100, 4096]), json_anything)),
                    guidance=(st.just(0.0), json_anything), seed=(st.just(7), json_anything),
                    style=(st.just(""), either(st.sampled_from(["nope", "../swiss"]), json_anything)),
                    negative=(st.just(""), json_anything), strength=(st.just(0.6), json_anything))
    fuzz_api(api, "/keep_settings", session_id=sid, **settings)
    where = dict(round=(st.just(1), json_anything), candidate=(st.sampled_from([1, 2]), json_anything))
    fuzz_api(api, "/edit_region", session_id=sid, **where, instruction=some_text, mask=(st.none(), json_anything),
             edit_strength=(st.just(0.9), json_anything), **settings)
    fuzz_api(api, "/vary", session_id=sid, **where, how=(st.just("subtle"), json_anything), **settings)
    fuzz_api(api, "/upscale", session_id=sid, round=where["round"], candidates=(st.just([1]), json_anything),
             factor=(st.just(2), json_anything), **settings)
    fuzz_api(api, "/reproduce", session_id=sid, **where)
    fuzz_api(api, "/compare", session_id=sid, first=(st.sampled_from(["1.1", "1.2"]), json_anything),
             second=(st.just("1.2"), either(st.sampled_from(["0.1", "9.9", "1.x"]), json_anything)))
    fuzz_api(api, "/search_text", query=(st.sampled_from(["jazz", "爵士", '"', "NEAR("]), json_anything),
             limit=(st.just(5), json_anything))
    fuzz_api(api, "/search_similar", session_id=sid, **where, limit=(st.just(5), json_anything))
    for shared in ("/export_session", "/client_report"):
        fuzz_api(api, shared, session_id=sid, branch_only=(st.booleans(), json_anything))
    fuzz_api(api, "/run_round", session_id=sid, text=(st.just(""), json_anything), **settings,
             reference=(st.none(), either(st.sampled_from(["/etc/passwd", "http://169.254.169.254/"]),
                                          json_anything)),
             start_from=(st.just(""), either(st.sampled_from(["1.1", "9.9", "0.0", "x"]), json_anything)))


def test_a_checklist_row_of_four_cells_is_refused_through_the_api(api):
    table = {"headers": ["item", "kind", "pinned"], "data": [["a saxophone", "visual", False, "x"]]}
    call_api(api, "/set_checklist", api.own, table, tolerate_known_bugs=False)


# ---------------------------------------------------------------- export, the client report, import
FLAG = (st.sampled_from([False, True, "true", 0, None]), either(st.sampled_from(["maybe", 2, -1]), anything))
LANG = (st.sampled_from(["en", "zh"]), either(st.sampled_from(["fr", "EN", "", None]), anything))


def test_export_session_exports_only_the_callers_own_or_refuses_cleanly(prepared):
    def export(w, owner, session, branch_only, lang):
        path = attempt(w, w.studio.export_session, owner, session, branch_only, lang)
        if path is not REFUSED:
            assert owns(w, owner, session) and path.suffix == ".zip"

    fuzz(prepared, "export_session", export, owner=OWNER, session=SESSION, branch_only=FLAG, lang=LANG)


def test_client_report_renders_only_the_callers_own_or_refuses_cleanly(prepared):
    def report(w, owner, session, branch_only, lang):
        path = attempt(w, w.studio.client_report, owner, session, branch_only, lang)
        if path is not REFUSED:
            assert owns(w, owner, session) and "<!DOCTYPE html>" in path.read_text(encoding="utf-8")

    fuzz(prepared, "client_report", report, owner=OWNER, session=SESSION, branch_only=FLAG, lang=LANG)


def exported_uploads(w: Workshop) -> None:
    """Alice's session exported into the upload folder once: as a ZIP, and its session.json alone."""
    if not (w.prepared.uploads / "session.zip").exists():
        path = w.studio.export_session("alice", w.real(Ref("alice's session")))
        (w.prepared.uploads / "session.zip").write_bytes(path.read_bytes())
        with zipfile.ZipFile(path) as zf:
            (w.prepared.uploads / "session.json").write_bytes(zf.read("session.json"))


def test_import_session_imports_for_the_caller_only_or_refuses_cleanly(prepared):
    def import_(w, owner, file):
        exported_uploads(w)
        session = attempt(w, w.studio.import_session, owner, uploads_of(w, file))
        if session is not REFUSED:
            assert session.owner == owner and w.studio.open_session(owner, session.id) == session

    fuzz(prepared, "import_session", import_, owner=OWNER,
         file=(st.sampled_from([UPLOAD + "session.zip", UPLOAD + "session.json"]),
               either(paths([UPLOAD + "notes.png", UPLOAD + "reference.png", UPLOAD + "gone.zip"]), anything)))


# ---------------------------------------------------------------- review links: the designer's doors and the client's
def test_create_and_list_review_links_share_only_the_callers_own_or_refuse_cleanly(prepared):
    def create(w, owner, session, days, branch_only):
        made = attempt(w, w.studio.create_review_link, owner, session, days, branch_only)
        if made is not REFUSED:
            token, link = made
            assert owns(w, owner, session) and w.studio.review(token).link.id == link.id

    fuzz(prepared, "create_review_link", create, owner=OWNER, session=SESSION,
         days=(st.sampled_from([1, 14, 90, 14.0]), bad_number), branch_only=FLAG)
    fuzz(prepared, "list_review_links", owner=OWNER, session=SESSION)


def test_revoke_review_link_revokes_only_the_callers_own(prepared):
    def revoke(w, owner, link_id):
        mine = any(owner == who and link_id == w.real(Ref(f"{who}'s link id")) for who in ("alice", "bob"))
        assert (attempt(w, w.studio.revoke_review_link, owner, link_id) is not REFUSED) == mine
        opens = attempt(w, w.studio.review, w.real(Ref("alice's token")))
        assert (opens is REFUSED) == (mine and owner == "alice")

    fuzz(prepared, "revoke_review_link", revoke, owner=OWNER,
         link_id=(st.just(Ref("alice's link id")),
                  either(st.just(Ref("bob's link id")), st.sampled_from(["", "0123456789ab", "ABCDEF012345"]), anything)))


TOKEN = (st.just(Ref("alice's token")), either(st.just(Ref("alice's revoked token")),
                                               st.from_regex(r"[A-Za-z0-9_-]{43}", fullmatch=True), anything))


def test_review_opens_only_what_a_working_token_shares(prepared):
    def review(w, token):
        view = attempt(w, w.studio.review, token)
        assert (view is not REFUSED) == (token == w.real(Ref("alice's token")))
        if view is not REFUSED:
            assert [[c.index for c in r.candidates] for r in view.session.rounds] == [[0]]  # alice's pick alone

    fuzz(prepared, "review", review, token=TOKEN)


def test_client_note_takes_any_note_on_a_shown_candidate_or_refuses_it_cleanly(prepared):
    def note(w, token, round_index, candidate, vote, comment, name, client):
        noted = attempt(w, w.studio.client_note, token, round_index, candidate, vote, comment, name, client)
        if noted is not REFUSED:
            assert (noted.round_index, noted.candidate) == (0, 0) and client not in noted.client
            assert w.studio.open_session("alice", w.real(Ref("alice's session"))).reviews[-1] == noted

    fuzz(prepared, "client_note", note, token=TOKEN, round_index=(st.sampled_from([0, 0.0]), bad_number),
         candidate=(st.just(0), either(st.sampled_from([1, 2]), bad_number)),
         vote=(st.sampled_from([1, -1, 1.0]), bad_number), comment=(st.text(max_size=60), anything),
         name=(st.text(max_size=20), anything),
         client=(st.from_regex(r"[A-Za-z0-9_-]{16,40}", fullmatch=True),
                 either(st.sampled_from(["", "short", "a b c d e f g h i j"]), anything)))


def test_the_review_link_endpoints_answer_any_input_with_a_result_or_a_clear_refusal(api):
    sid = (st.just(api.own), either(st.just(api.foreign), st.uuids().map(lambda u: u.hex), json_anything))
    fuzz_api(api, "/create_review_link", session_id=sid, days=(st.just(14), json_anything),
             branch_only=(st.just(False), json_anything), origin=(st.just(""), json_anything))
    fuzz_api(api, "/revoke_review_link", session_id=sid, link_id=(st.just("0123456789ab"), json_anything))

