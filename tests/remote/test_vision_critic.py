"""A critic that sees: a vision-language model answers the checklist and writes the notes from the pixels, served
by a real `transformers serve` on loopback (the tiny LLaVA) or loaded in this process (the same folder).

Tiny models have random weights: these tests prove where the answers come from and what was sent, never that
an answer is right.
"""
from __future__ import annotations

import base64
import io

import pytest
import torch
from PIL import Image

from chat_server import free_port, start_server
from fakes import Delegate, SwappedModels
from pipelines import tiny
from pipelines.backends import RemoteChat
from pipelines.base import ChecklistItem, CritiqueRequest, ModelUnavailable
from pipelines.critic import VIEWER_NOTE_SYSTEM, VIEWER_QUESTION_SYSTEM, ModelCritic, first_lines, verdict
from pipelines.device import Placement
from pipelines.presets import LOCAL_VLM
from pipelines.prompting import data
from studio.core.session import RoundStatus
from studio.engine import RoundParams, Studio

BRIEF = 'A red poster of a saxophone, navy and gold, no people, says "JAZZ NIGHT"'
CHECKLIST = (ChecklistItem("a saxophone"), ChecklistItem("people", "avoid"),
             ChecklistItem('says "JAZZ NIGHT"', "text", quote="JAZZ NIGHT"))
REQUEST = CritiqueRequest(BRIEF, "a red jazz poster", CHECKLIST, prefer=("bold type",), avoid=("too busy",))
ASKED = ["a saxophone", "people", "bold type", "too busy"]  # the yes/no questions, in the critic's order


def candidates() -> list[Image.Image]:
    """Two candidates a designer would tell apart at a glance: a red one and a blue one, with a stripe."""
    red, blue = Image.new("RGB", (64, 64), (200, 20, 20)), Image.new("RGB", (64, 64), (20, 40, 200))
    blue.paste((240, 240, 240), (0, 24, 64, 40))
    return [red, blue]


class RecordingViewer(Delegate):
    """The viewer as it is, keeping every (system, image, prompt) it was asked and every reply."""

    def __init__(self, inner):
        super().__init__(inner)
        self.calls: list[tuple[str, list, list, list]] = []

    def look(self, system, images, prompts, max_new_tokens):
        replies = self.inner.look(system, images, prompts, max_new_tokens)
        self.calls.append((system, list(images), list(prompts), replies))
        return replies


class SentParts(Delegate):
    """The OpenAI client's chat completions as they are, keeping each request's messages (what went on the wire)."""

    def __init__(self, inner):
        super().__init__(inner)
        self.sent: list[list[dict]] = []

    def create(self, **request):
        self.sent.append(request["messages"])
        return self.inner.create(**request)


class Untouched(Delegate):
    """A model the critic must not ask: it records what was asked of it, `asked` names the methods."""

    def __init__(self, inner, *methods):
        super().__init__(inner)
        self.asked: list[str] = []
        for name in methods:
            setattr(self, name, self._recorder(name))

    def _recorder(self, name):
        def call(*args, **kwargs):
            self.asked.append(name)
            return getattr(self.inner, name)(*args, **kwargs)
        return call


@pytest.fixture(scope="module")
def tiny_vlm():
    return tiny.ensure("llava")


@pytest.fixture(scope="module")
def vlm_server(tiny_vlm, tmp_path_factory):
    with start_server(tiny_vlm, tmp_path_factory.mktemp("vlm-server")) as served:
        yield served


@pytest.fixture(scope="module")
def remote_viewer(vlm_server):
    from pipelines.remote.vision import RemoteViewer

    viewer = RemoteViewer(RemoteChat(vlm_server.base_url, vlm_server.model, api_key_env="", max_retries=0))
    viewer._client.chat.completions = SentParts(viewer._client.chat.completions)
    return viewer


@pytest.fixture(scope="module")
def local_viewer(tiny_vlm):
    from pipelines.vision import LocalViewer

    return LocalViewer("tiny/llava", str(tiny_vlm), Placement("cpu", torch.float32))


def critic_seeing_through(viewer, registry):
    """The tiny preset's critic, its VQA and its refiner watched, with `viewer` as its eyes."""
    captioner = Untouched(registry.captioner(), "answer")
    refiner = Untouched(registry.refiner(), "complete_each", "complete")
    return ModelCritic(captioner, registry.scorer(), refiner, reader=None, viewer=viewer), captioner, refiner


def png_pixels(part: dict) -> bytes:
    prefix = "data:image/png;base64,"
    assert part["type"] == "image_url" and part["image_url"]["url"].startswith(prefix)
    return Image.open(io.BytesIO(base64.b64decode(part["image_url"]["url"][len(prefix):]))).tobytes()


def test_two_candidates_are_judged_by_the_served_vlm_from_their_pixels(remote_viewer, tiny_registry):
    viewer = RecordingViewer(remote_viewer)
    critic, captioner, refiner = critic_seeing_through(viewer, tiny_registry)
    images = candidates()

    critiques = critic.critique(images, REQUEST)

    # Each candidate went to the server as a PNG image part with each question, then once with the brief.
    (q_system, _, questions, answers), (n_system, _, note_prompts, notes) = viewer.calls
    assert (q_system, n_system) == (VIEWER_QUESTION_SYSTEM, VIEWER_NOTE_SYSTEM)
    assert all(f"{data(phrase)}?" in q for q, phrase in zip(questions, ASKED * 2))
    assert note_prompts == [f"Brief: {data(BRIEF)}"] * 2
    sent = remote_viewer._client.chat.completions.sent[-10:]  # side by side: in the order they were sent
    pairs = [(im.tobytes(), q) for im, q in zip([im for im in images for _ in ASKED], questions)]
    pairs += [(im.tobytes(), note_prompts[0]) for im in images]
    assert sorted((png_pixels(user["content"][0]), user["content"][1]["text"]) for _, user in sent) == sorted(pairs)
    # The verdicts and the notes are the viewer's; the words to show are left to OCR (none here: unread).
    for k, critique in enumerate(critiques):
        asked = {c.item: c for c in critique.checks if c.kind != "text"}
        mine = answers[k * len(ASKED):(k + 1) * len(ASKED)]
        assert [asked["a saxophone"].evidence, asked["people"].evidence] == mine[:2]
        assert asked["a saxophone"].verdict == {True: "pass", False: "fail", None: "unsure"}[verdict(mine[0])]
        assert [(c.verdict, c.reading) for c in critique.checks if c.kind == "text"] == [("unsure", "unread")]
        assert critique.note == first_lines(notes)[k]
    assert not any("JAZZ NIGHT" in q for q in questions)
    assert captioner.asked == [] and refiner.asked == []  # no BLIP VQA, no note from a caption


def test_the_served_and_the_local_vlm_see_the_same_pixels_alike(remote_viewer, local_viewer):
    """The same tiny folder, greedy: the server answers as the local model does for each candidate, and the two
    candidates get different answers, so what the server read was each candidate's pixels, not a blank."""
    question = f"Does the image show {data('a saxophone')}? Answer yes or no."
    served = [remote_viewer.look(VIEWER_QUESTION_SYSTEM, [image], [question], 8)[0] for image in candidates()]
    here = [local_viewer.look(VIEWER_QUESTION_SYSTEM, [image], [question], 8)[0] for image in candidates()]

    assert served == here
    assert served[0] != served[1]


def test_the_local_tiny_viewer_answers_the_checklist_through_the_critic(local_viewer, tiny_registry):
    assert (type(local_viewer.model).__name__, type(local_viewer.processor).__name__) == LOCAL_VLM.classes
    viewer = RecordingViewer(local_viewer)
    critic, captioner, refiner = critic_seeing_through(viewer, tiny_registry)

    critiques = critic.critique(candidates(), REQUEST)

    answers = viewer.calls[0][3]
    assert [[c.evidence for c in critique.checks if c.kind != "text"] for critique in critiques] == \
        [answers[:2], answers[4:6]]
    assert [critique.note for critique in critiques] == first_lines(viewer.calls[1][3])
    assert captioner.asked == [] and refiner.asked == []


def test_an_unreachable_vlm_server_fails_the_round_with_a_message_naming_it(store, tiny_registry):
    pytest.importorskip("openai")
    from pipelines.remote.vision import RemoteViewer

    nowhere = RemoteChat(f"http://127.0.0.1:{free_port()}/v1", "tiny-vlm", api_key_env="", timeout_s=5, max_retries=0)
    viewer = RemoteViewer(nowhere)
    with pytest.raises(ModelUnavailable, match=r"http://127\.0\.0\.1:\d+/v1 .*refused the connection"):
        viewer.look(VIEWER_QUESTION_SYSTEM, candidates(), ["Is it red?", "Is it blue?"], 8)

    def seeing(critic: ModelCritic) -> ModelCritic:
        return ModelCritic(critic.captioner, critic.scorer, critic.refiner, critic.reader, viewer=viewer)

    studio = Studio(store, SwappedModels(tiny_registry, wrap_critic=seeing))
    session = studio.start_session("alice", BRIEF)
    events = list(studio.run_round("alice", session.id, "", RoundParams(count=2)))

    failed = events[-1].round
    assert failed.status == RoundStatus.FAILED
    assert nowhere.base_url in str(failed.error) and "is it running?" in str(failed.error)


def test_a_large_candidate_is_sent_shrunk_to_what_a_vlm_reads_and_a_small_one_pixel_for_pixel():
    from pipelines.remote.vision import MAX_SIDE, image_part

    large = Image.new("RGB", (2 * MAX_SIDE, MAX_SIDE), (10, 200, 30))
    [small] = candidates()[:1]

    assert Image.open(io.BytesIO(base64.b64decode(image_part(large)["image_url"]["url"].split(",", 1)[1]))).size == \
        (MAX_SIDE, MAX_SIDE // 2)
    assert png_pixels(image_part(small)) == small.tobytes()
    assert large.size == (2 * MAX_SIDE, MAX_SIDE)  # the candidate itself is left as it was
