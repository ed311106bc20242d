"""Export, the client report and import through the API, as a script drives them: `python app.py` in a subprocess,
`gradio_client` calling `/export_session`, `/client_report` and `/import_session`. Tiny preset: the pixels are noise;
these tests prove the plumbing.
"""
from __future__ import annotations

import json
import zipfile

import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError

from reliability.kit import fetch
from server import hang_up

BRIEF = "A poster for a jazz night, navy and gold, with a saxophone"
SETTINGS = dict(count=2, steps=1, size=64, guidance=0.0, seed=7, negative="", reference=None, strength=0.6,
                start_from="", style="")


@pytest.fixture
def designer(shared_studio):
    client = Client(shared_studio.url, verbose=False)
    yield client
    hang_up(client)


def test_a_script_exports_a_session_and_a_colleague_imports_it_as_their_own(shared_studio, designer):
    sid = designer.predict(BRIEF, api_name="/start_session")[0]
    designer.predict(session_id=sid, text="", **SETTINGS, api_name="/run_round")
    designer.predict(session_id=sid, round=1, candidate=2, reason="the gold works", api_name="/pick")

    exported, status = designer.predict(session_id=sid, branch_only=False, api_name="/export_session")
    report, _status = designer.predict(session_id=sid, branch_only=True, api_name="/client_report")

    assert status.startswith("Exported: ") and exported.endswith(".zip")
    with zipfile.ZipFile(exported) as zf:
        document = json.loads(zf.read("session.json"))
        assert document["session"]["id"] == sid and len(zf.namelist()) == 2 + 2  # json, report, 2 images
    with open(report, encoding="utf-8") as f:
        assert "the gold works" in f.read()

    colleague = Client(shared_studio.url, verbose=False)
    try:
        opened = colleague.predict(file=handle_file(exported), api_name="/import_session")
        new_sid, _chat, gallery, details, shown_round = opened[:5]
        assert new_sid != sid and len(gallery) == 2 and shown_round == 1
        assert opened[-2].startswith('Imported "A poster for a jazz night')
        _radio, listed = colleague.predict(api_name="/list_sessions")
        assert [s["id"] for s in listed] == [new_sid]
        with pytest.raises(AppError, match="No such session"):  # the original stays the designer's own
            colleague.predict(session_id=sid, branch_only=False, api_name="/export_session")
    finally:
        hang_up(colleague)


def test_a_hostile_zip_sent_to_the_api_is_refused_and_nothing_is_imported(designer, tmp_path):
    path = tmp_path / "hostile.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("session.json", "{}")
        zf.writestr("../../evil.png", b"x")

    with pytest.raises(AppError, match="an exported session never does"):
        designer.predict(file=handle_file(str(path)), api_name="/import_session")

    _radio, listed = designer.predict(api_name="/list_sessions")
    assert listed == []


def test_an_export_is_served_to_the_designer_who_made_it_and_to_nobody_else(shared_studio):
    owner = Client(shared_studio.url, verbose=False, download_files=False)
    try:
        sid = owner.predict("a bakery logo, warm brown", api_name="/start_session")[0]
        for api_name in ("/export_session", "/client_report"):
            shared, _status = owner.predict(session_id=sid, branch_only=False, api_name=api_name)
            assert fetch(shared["url"], cookies=owner.cookies)[0] == 200, shared
            assert fetch(shared["url"])[0] == 404  # a stranger with the URL gets nothing
    finally:
        hang_up(owner)
