"""A designer exports a session for the client and for safekeeping, and imports it into another studio: the ZIP's
images carry their recipes (read back with Pillow, and as A1111 reads its `parameters`), the session comes back
field by field and pixel for pixel, and a hostile file is refused with nothing written.

Tiny preset: the images are noise; these tests prove the plumbing, never the pictures.
"""
from __future__ import annotations

import dataclasses
import io
import json
import re
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from reliability.kit import digest
from studio.core.recipe import CHUNK_PREFIX, candidate_recipe, png_text
from studio.core.session import Mark
from studio.engine import RoundParams, Studio, StudioError
from studio.engine.events import Finished
from studio.services.report import render_report
from studio.services.sessions import Store, files_of

BRIEF = "A poster for a jazz night, navy and gold, with a saxophone"
QUICK = RoundParams(count=2, steps=1, seed=11)


def done(events):
    events = list(events)
    assert isinstance(events[-1], Finished), events[-1]
    return events[-1].round


@pytest.fixture(scope="module")
def worked(tmp_path_factory, tiny_registry):
    """Alice's session with real rounds: a first round, a pick with a reason in Chinese, a correction, a second
    round, a region edit of its first candidate (a mask), then back to round 1 and a third round on a new branch."""
    folder = tmp_path_factory.mktemp("archive")
    with Store(folder / "data") as store:
        studio = Studio(store, tiny_registry)
        session = studio.start_session("alice", BRIEF)
        studio.set_checklist("alice", session.id, [["navy and gold palette", "visual", False],
                                                   ["a saxophone", "visual", True]])
        done(studio.run_round("alice", session.id, "", QUICK))
        studio.give_feedback("alice", session.id, 0, "pick", 1, "金色很好 — the gold works")
        studio.give_feedback("alice", session.id, 0, "correction", text="bigger title, less noise")
        done(studio.run_round("alice", session.id, "bigger title", QUICK))
        mask = Image.new("L", (64, 64), 0)
        mask.paste(255, (0, 0, 32, 64))
        mask.save(folder / "mask.png")
        done(studio.edit_region("alice", session.id, 1, 0, "a golden moon", str(folder / "mask.png"), None, QUICK))
        studio.switch_branch("alice", session.id, 0)
        done(studio.run_round("alice", session.id, "try a brass section", QUICK))
        yield studio, studio.open_session("alice", session.id), folder


def inbox(folder: Path, path: Path) -> str:
    """The exported file as the importer uploads it: a copy in the upload folder (the temp folder)."""
    copy = folder / f"upload-{path.name}"
    copy.write_bytes(path.read_bytes())
    return str(copy)


def pixels(data: bytes | Path) -> np.ndarray:
    with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as image:
        return np.asarray(image)


def without_keys(session) -> dict:
    """A session's fields but its id, owner, image paths and the link to a parent session in another studio."""
    d = dataclasses.asdict(session)
    for name in ("id", "owner", "parent_session", "parent_round"):
        d.pop(name)
    text = json.dumps(d, sort_keys=True, default=str)
    return json.loads(re.sub(r"images/[0-9a-f]{32}/", "images/<session>/", text))


# ---------------------------------------------------------------- export, then import
def test_an_exported_session_imports_as_a_new_session_of_the_importer_equal_field_by_field(worked, tmp_path):
    studio, alices, folder = worked
    exported = studio.export_session("alice", alices.id)

    imported = studio.import_session("bob", inbox(folder, exported))

    assert imported.owner == "bob" and imported.id != alices.id
    assert studio.open_session("bob", imported.id) == imported  # stored as returned
    assert without_keys(imported) == without_keys(alices)
    assert len(alices.rounds) == 4 and any(r.params.mask for r in alices.rounds)  # the check covers masks
    old, new = sorted(files_of(alices)), sorted(files_of(imported))
    assert all(path.startswith(f"images/{imported.id}/") for path in new) and len(old) == len(new)
    for before, after in zip(old, new):  # pixel for pixel
        assert np.array_equal(pixels(studio.store.image_path(before)), pixels(studio.store.image_path(after)))
    with zipfile.ZipFile(exported) as zf:
        names = set(zf.namelist())
    assert names == {"session.json", "report.html", *old}


def test_each_exported_png_carries_its_recipe_and_a1111_parameters_that_parse_back(worked):
    studio, alices, _folder = worked
    with zipfile.ZipFile(studio.export_session("alice", alices.id)) as zf:
        edit = next(r for r in alices.rounds if r.params.mask)
        candidate = edit.candidates[1]
        with Image.open(io.BytesIO(zf.read(candidate.image))) as png:
            chunks = dict(png.text)

    recipe = json.loads(chunks[f"{CHUNK_PREFIX}recipe"])
    assert recipe == candidate_recipe(alices, edit, candidate)
    assert recipe["mask"] == edit.params.mask and recipe["strength"] == edit.params.strength
    assert (chunks["dc.session_id"], chunks["dc.round"], chunks["dc.candidate"]) == (alices.id, "3", "2")
    assert chunks["dc.seed"] == str(candidate.seed) and chunks["dc.studio"] == "Design Collaborator"
    assert json.loads(chunks["dc.model_ids"]) == edit.params.model_ids
    parsed = parse_a1111(chunks["parameters"])
    assert parsed["Prompt"] == edit.prompt and parsed["Seed"] == str(candidate.seed)
    assert parsed["Steps"] == str(edit.params.steps) and parsed["CFG scale"] == str(edit.params.guidance)
    assert (parsed["Size-1"], parsed["Size-2"]) == (str(edit.params.width), str(edit.params.height))
    assert parsed["Model"] == edit.params.model_ids["generator"]
    assert parsed["Denoising strength"] == str(edit.params.strength)
    assert parsed["Negative prompt"] == edit.params.negative_prompt


def test_a_chinese_prompt_survives_the_png_text_chunks_and_a1111s_quoting():
    recipe = {"prompt": "爵士之夜海报，海军蓝与金色\n第二行", "negative_prompt": "模糊, 低质量", "seed": 7, "steps": 4,
              "guidance": 7.5, "width": 64, "height": 64, "scheduler": "EulerAncestralDiscreteScheduler",
              "model_ids": {"generator": "org/model: v1, fast"}, "preset": "tiny"}
    info = PngInfo()
    for key, text in png_text(recipe):
        info.add_text(key, text)
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG", pnginfo=info)

    with Image.open(io.BytesIO(buffer.getvalue())) as png:
        assert png.text["dc.prompt"] == recipe["prompt"]
        parsed = parse_a1111(png.text["parameters"])
    assert parsed["Prompt"] == recipe["prompt"] and parsed["Negative prompt"] == "模糊, 低质量"
    assert parsed["Sampler"] == "Euler a" and parsed["Model"] == "org/model: v1, fast"  # quoted, then unquoted
    assert b"iTXt" in buffer.getvalue()


# A1111's reader (modules/infotext_utils.py parse_generation_parameters), written again from its regex.
A1111_PARAM = re.compile(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
A1111_SIZE = re.compile(r"^(\d+)x(\d+)$")


def parse_a1111(text: str) -> dict:
    result, prompt, negative, in_negative = {}, "", "", False
    *lines, last = text.strip().split("\n")
    if len(A1111_PARAM.findall(last)) < 3:
        lines.append(last)
        last = ""
    for line in lines:
        line = line.strip()
        if line.startswith("Negative prompt:"):
            in_negative, line = True, line[16:].strip()
        if in_negative:
            negative += ("" if negative == "" else "\n") + line
        else:
            prompt += ("" if prompt == "" else "\n") + line
    for key, value in A1111_PARAM.findall(last):
        if value[:1] == '"' and value[-1:] == '"':
            value = json.loads(value)
        size = A1111_SIZE.match(value)
        if size:
            result[f"{key}-1"], result[f"{key}-2"] = size.groups()
        else:
            result[key] = value
    return result | {"Prompt": prompt, "Negative prompt": negative}


def test_a_branch_export_holds_only_the_rounds_of_the_branch_the_designer_is_on(worked, tmp_path):
    studio, alices, folder = worked
    exported = studio.export_session("alice", alices.id, branch_only=True)
    with zipfile.ZipFile(exported) as zf:
        document = json.loads(zf.read("session.json"))
        images = {n for n in zf.namelist() if n.startswith("images/")}

    assert document["branch_only"] is True
    assert [r["index"] for r in document["session"]["rounds"]] == [0, 3]  # round 1, then the new branch's round
    assert images == {c.image for r in alices.rounds if r.index in (0, 3) for c in r.candidates}
    imported = studio.import_session("carol", inbox(folder, exported))
    assert [r.index for r in imported.rounds] == [0, 3]


def test_a_session_json_alone_brings_the_text_history_with_marked_placeholders(worked, tmp_path):
    studio, alices, folder = worked
    with zipfile.ZipFile(studio.export_session("alice", alices.id)) as zf:
        (folder / "session.json").write_bytes(zf.read("session.json"))

    imported = studio.import_session("dave", str(folder / "session.json"))

    assert [r.prompt for r in imported.rounds] == [r.prompt for r in alices.rounds]
    assert imported.feedback == alices.feedback and imported.checklist == alices.checklist
    first = imported.rounds[0]
    assert first.notes[-1].code == "archive.placeholders" and "grey placeholders" in first.notes[-1].text()
    assert pixels(studio.store.image_path(first.candidates[0].image)).mean() == 128


# ---------------------------------------------------------------- the client report
def test_the_report_escapes_a_brief_that_holds_markup_and_shows_the_pick_large(worked):
    studio, alices, _folder = worked
    hostile = dataclasses.replace(alices, brief='<script>alert("x")</script> & <img src=x onerror=alert(1)>')

    html = render_report(hostile, lambda rel: studio.store.image_path(rel).read_bytes(), "zh")

    assert "<script" not in html and "onerror=alert(1)>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "设计师选定" in html and "金色很好" in html and "bigger title, less noise" in html
    assert "http://" not in html and "https://" not in html  # nothing from elsewhere
    assert html.count('class="chosen"') == 1 and html.count("data:image/png;base64,") == 1


def test_with_nothing_picked_the_report_shows_the_critics_best_of_the_last_round_labelled(worked):
    studio, alices, _folder = worked
    unpicked = dataclasses.replace(alices, rounds=tuple(dataclasses.replace(r, candidates=tuple(
        dataclasses.replace(c, mark=Mark.NONE) for c in r.candidates)) for r in alices.rounds))

    html = render_report(unpicked, lambda rel: studio.store.image_path(rel).read_bytes())

    assert "Nothing was picked yet: the critic&#x27;s best of round 4" in html or \
        "Nothing was picked yet: the critic's best of round 4" in html


def test_the_client_report_alone_is_one_html_file(worked):
    studio, alices, _folder = worked
    path = studio.client_report("alice", alices.id, lang="en")
    assert path.suffix == ".html" and "The chosen designs" in path.read_text(encoding="utf-8")
    with pytest.raises(StudioError, match="No such session"):
        studio.client_report("bob", alices.id)
    with pytest.raises(StudioError, match="written in en, zh"):
        studio.client_report("alice", alices.id, lang="fr")


# ---------------------------------------------------------------- hostile files: refused, nothing written
def a_zip(folder: Path, members: dict, name: str = "hostile.zip", links: tuple[str, ...] = ()) -> str:
    path = folder / name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
        for link in links:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return str(path)


@pytest.fixture(scope="module")
def exported(worked):
    """The ZIP's members, to be spoiled one way each."""
    studio, alices, _folder = worked
    with zipfile.ZipFile(studio.export_session("alice", alices.id)) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def spoiled(exported: dict, change) -> dict:
    document = json.loads(exported["session.json"])
    change(document["session"])
    return {**exported, "session.json": json.dumps(document)}


def first_image(exported: dict) -> str:
    return next(n for n in sorted(exported) if n.startswith("images/"))


HOSTILE = {
    "a path that climbs out": lambda e: {**e, "../x.png": b"x"},
    "an absolute path": lambda e: {**e, "/abs.png": b"x"},
    "a name an export never has": lambda e: {**e, "notes.txt": b"x"},
    "a member that inflates 1000 times": lambda e: {**e, first_image(e): b"\0" * (5 * 2**20)},
    "a member past the size limit": lambda e: {**e, first_image(e): np.random.default_rng(1).bytes(11 * 2**20)},
    "too many members": lambda e: {**e, **{f"images/{'a' * 32}/{i}.png": b"" for i in range(4001)}},
    "no session.json": lambda e: {k: v for k, v in e.items() if k != "session.json"},
    "session.json that is not JSON": lambda e: {**e, "session.json": b"{not json"},
    "a session without its rounds": lambda e: spoiled(e, lambda s: s.pop("rounds")),
    "a seed that is text": lambda e: spoiled(e, lambda s: s["rounds"][0]["candidates"][0].update(seed="7")),
    "a score that is not a number": lambda e: spoiled(e, lambda s: s["rounds"][0]["candidates"][0].update(score=True)),
    "a brief past its limit": lambda e: spoiled(e, lambda s: s.update(brief="x" * 2001)),
    "a newer schema": lambda e: spoiled(e, lambda s: s.update(schema=99)),
    "a message the studio cannot say": lambda e: spoiled(e, lambda s: s["rounds"][0].update(
        notes=[{"code": "round.crashed", "args": {}}, {"code": "no.such.code", "args": {}}])),
    "feedback on a round that is not there": lambda e: spoiled(e, lambda s: s["feedback"][0].update(round_index=9)),
    "an image that is not a PNG": lambda e: {**e, first_image(e): _jpeg()},
    "an image the JSON names but the ZIP lacks": lambda e: {k: v for k, v in e.items() if k != first_image(e)},
    "an image path outside its folder": lambda e: spoiled(e, lambda s: s["rounds"][0]["candidates"][0].update(
        image="../../studio.db")),
}


HOSTILE_REFUSALS = {
    "a path that climbs out": "holds '../x.png'", "an absolute path": "holds '/abs.png'",
    "a name an export never has": "holds 'notes.txt'", "a member that inflates 1000 times": "unpacks to more",
    "a member past the size limit": "unpacks to more", "too many members": "holds 4,0..? files|holds 40.. files",
    "no session.json": "has no session.json", "session.json that is not JSON": "neither a ZIP",
    "a session without its rounds": "'rounds' is missing", "a seed that is text": r"candidates\[0\].seed",
    "a score that is not a number": r"score .*a float was expected, not bool",
    "a brief past its limit": "at most 2,000",
    "a newer schema": "newer studio", "a message the studio cannot say": "not a message this studio knows",
    "feedback on a round that is not there": "feedback .*round 10", "an image that is not a PNG": "JPEG, not PNG",
    "an image the JSON names but the ZIP lacks": "which the ZIP lacks", "an image path outside its folder":
    "is not a stored path",
}


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_zip_is_refused_with_nothing_written(worked, exported, hostile):
    studio, _alices, folder = worked
    path = a_zip(folder, HOSTILE[hostile](exported))
    before, folders = digest(studio.store.data_dir), sorted((studio.store.images_dir).iterdir())

    with pytest.raises(StudioError, match=HOSTILE_REFUSALS[hostile]):
        studio.import_session("mallory", path)

    assert digest(studio.store.data_dir) == before and sorted(studio.store.images_dir.iterdir()) == folders
    assert studio.list_sessions("mallory") == []


def test_a_link_in_the_zip_is_refused(worked, exported):
    studio, _alices, folder = worked
    before = digest(studio.store.data_dir)
    with pytest.raises(StudioError, match="an exported session never does"):
        studio.import_session("mallory", a_zip(folder, exported, "linked.zip", links=(f"images/{'b' * 32}/link.png",)))
    assert digest(studio.store.data_dir) == before


def test_an_import_is_read_only_from_the_upload_folders_and_never_from_an_export(worked, tmp_path):
    studio, alices, _folder = worked
    before = digest(studio.store.data_dir)
    for file, refusal in ((None, "Choose the file"), ("https://example.com/a.zip", "not a link"),
                          ("/etc/passwd", "a file you uploaded"),
                          (str(studio.export_session("alice", alices.id)), "a file you uploaded")):
        with pytest.raises(StudioError, match=refusal):
            studio.import_session("mallory", file)
    assert digest(studio.store.data_dir) == before


@pytest.mark.parametrize("quota, importer, refusal", [({"images": 5}, "erin", "past 5"),
                                                      ({"sessions": 1}, "alice", "You keep 1 sessions")])
def test_an_import_past_a_quota_is_refused_with_nothing_written(worked, tiny_registry, quota, importer, refusal):
    studio, alices, folder = worked
    exported = inbox(folder, studio.export_session("alice", alices.id))
    tight = Studio(studio.store, tiny_registry, quotas=dataclasses.replace(studio.quotas, **quota))
    before = digest(studio.store.data_dir)
    with pytest.raises(StudioError, match=refusal):
        tight.import_session(importer, exported)
    assert digest(studio.store.data_dir) == before


def test_a_failure_while_storing_removes_the_images_already_written(worked, monkeypatch):
    studio, alices, folder = worked
    exported = inbox(folder, studio.export_session("alice", alices.id))
    folders = sorted(studio.store.images_dir.iterdir())

    def full_disk(_session):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(studio.store, "save_session", full_disk)
    with pytest.raises(StudioError):
        studio.import_session("frank", exported)
    assert sorted(studio.store.images_dir.iterdir()) == folders


def test_the_share_tab_hands_the_designer_the_file_in_their_language_and_an_import_opens_it(worked):
    from studio.ui import share_handlers as share
    from studio.ui.handlers import Handlers

    studio, alices, folder = worked
    h = Handlers(studio).reading("zh")
    exported = share.export_session(h, "alice", alices.id, True)
    reported = share.client_report(h, "alice", alices.id, False)

    assert exported["status"].startswith("已导出：") and exported["shared_file"].endswith(".zip")
    assert reported["status"].startswith("客户报告已生成")
    assert "选定的设计" in Path(reported["shared_file"]).read_text(encoding="utf-8")
    opened = share.import_session(h, "grace", inbox(folder, Path(exported["shared_file"])))
    assert opened["session_id"] != alices.id and opened["status"].startswith("已导入“")
    assert [s.id for s in studio.list_sessions("grace")] == [opened["session_id"]]
