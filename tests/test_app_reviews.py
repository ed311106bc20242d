"""Review links over HTTP, as a designer's script and a client's browser meet them: `python app.py` in a subprocess
(the end-to-end tests' shared studio), the designer on the named endpoints, the client on `/review/<token>` with no
account. Tiny preset: the images are noise; these tests prove plumbing.
"""
from __future__ import annotations

import re

import httpx
import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from server import hang_up

SETTINGS = dict(count=2, steps=1, size=64, guidance=0.0, seed=7)
GONE = "This review link has expired or was revoked. Ask the designer for a new one."


def shared_session(url: str, brief: str) -> tuple[Client, str]:
    """A designer with a done first round of two candidates, the second picked."""
    designer = Client(url, verbose=False)
    sid = designer.predict(brief, api_name="/start_session")[0]
    designer.predict(session_id=sid, text="", **SETTINGS, api_name="/run_round")
    designer.predict(sid, 1, 2, "bold type", api_name="/pick")
    return designer, sid


@pytest.fixture(scope="module")
def alice(shared_studio):
    designer, sid = shared_session(shared_studio.url, "A poster for a jazz night, navy and gold")
    yield designer, sid
    hang_up(designer)


@pytest.fixture(scope="module")
def bob(shared_studio):
    designer, sid = shared_session(shared_studio.url, "A tea label, green and cream, with a crane")
    yield designer, sid
    hang_up(designer)


def share(designer: Client, sid: str, **options) -> str:
    url, links, status = designer.predict(sid, api_name="/create_review_link", **options)
    assert url.startswith("/review/") and "works until" in status  # an API caller gets the path
    return url


def csrf(page: str) -> str:
    return re.search(r'name="csrf" value="([0-9a-f]+)"', page)[1]


def test_a_client_votes_and_comments_on_the_page_and_the_designer_reads_it(shared_studio, alice):
    designer, sid = alice
    path = share(designer, sid)
    with httpx.Client(base_url=shared_studio.url) as client:  # a client with no account: only the link's cookie
        page = client.get(path)
        assert page.status_code == 200 and "read-only" in page.text and "A poster for a jazz night" in page.text
        assert page.headers["referrer-policy"] == "no-referrer" and page.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in page.headers["content-security-policy"]
        assert 'id="review-1-2"' in page.text and 'id="review-1-1"' not in page.text  # the pick alone
        assert "/gradio_api/" not in page.text and sid not in page.text  # images inside the page, no file route

        sent = client.post(f"{path}/note", data={"csrf": csrf(page.text), "round": "0", "candidate": "1", "vote": "1",
                                                 "comment": "love the gold", "name": "Anna"})
        assert sent.status_code == 303 and sent.headers["location"] == f"{path}?sent=1"
        again = client.get(sent.headers["location"])
        assert "the designer sees your note" in again.text and "love the gold" in again.text

    chat = designer.predict(sid, api_name="/open_session")[1]
    assert any("**Client** ▲ on 1.2 (Anna): “love the gold”" in str(m["content"]) for m in chat)
    links = designer.predict(sid, api_name="/list_review_links")
    assert [row[4] for row in links["data"]] == ["1"]


def test_a_link_reaches_nothing_of_another_session(shared_studio, alice, bob):
    (designer, sid), (other, other_sid) = alice, bob
    path = share(designer, sid)
    bobs = other.predict(other_sid, 1, api_name="/show_round")[7]["candidates"]  # his round's details: his images
    folder = shared_studio.log_file.parent / "data"
    with httpx.Client(base_url=shared_studio.url) as client:
        page = client.get(path)
        assert other_sid not in page.text and "tea label" not in page.text
        for c in bobs:
            assert c["image"] not in page.text
            assert client.get(f"/gradio_api/file={folder / c['image']}").status_code in (403, 404)  # no file opens
        # A round and candidate that are bob's too (1.2) name alice's candidate through alice's link, never bob's.
        client.post(f"{path}/note", data={"csrf": csrf(page.text), "round": "0", "candidate": "1", "vote": "-1"})
        refused = client.post(f"{path}/note", data={"csrf": csrf(page.text), "round": "4", "candidate": "0",
                                                    "vote": "1"})
        assert refused.status_code == 400 and "This link shows no candidate 1 of round 5" in refused.text
    assert "Client" not in str(other.predict(other_sid, api_name="/open_session")[1])


def test_expired_revoked_unknown_and_malformed_tokens_get_the_same_page(shared_studio, alice):
    designer, sid = alice
    path = share(designer, sid, days=1, branch_only=True)
    link_id = designer.predict(sid, api_name="/list_review_links")["data"][0][0]
    with httpx.Client(base_url=shared_studio.url) as client:
        page = client.get(path)
        cross_site = client.post(f"{path}/note", headers={"sec-fetch-site": "cross-site"},
                                 data={"csrf": csrf(page.text), "round": "0", "candidate": "1", "vote": "1"})
        assert cross_site.status_code == 400 and "reload the page" in cross_site.text
        designer.predict(sid, link_id, api_name="/revoke_review_link")
        answers = [client.get(path), client.post(f"{path}/note", data={"round": "0", "candidate": "1", "vote": "1"}),
                   client.get("/review/" + "A" * 43), client.get("/review/short"), client.get("/review/%00%2e%2e")]
    assert {a.status_code for a in answers} == {404} and len({a.text for a in answers}) == 1 and GONE in answers[0].text
    newest = designer.predict(sid, api_name="/list_review_links")["data"][0]
    assert (newest[0], newest[1], newest[4]) == (link_id, "branch to round 1", "0") and newest[5]  # revoked, no note
    with pytest.raises(AppError, match="This session has no such review link"):
        designer.predict(sid, "not-a-link", api_name="/revoke_review_link")
