"""The engine's doors for review links: the designer shares, lists and revokes them (owner checked first); a client,
with no account, reads what a link shows and votes or comments on it. Part of `Studio` (studio.py).

A client's door takes the token as its only key: expired, revoked, unknown and malformed tokens are all refused
alike ("review.gone"), so the refusal tells nothing about which. A client's note is stored in the session
(`Session.reviews`) through the store's read-change-write, where the refiner reads it (core/memory.py).
"""
from __future__ import annotations

from dataclasses import replace

from studio.core import limits
from studio.core.history import head_index
from studio.core.reviews import (DAY_S, ReviewLink, ReviewView, client_tag, notes_of, shown_session, shows,
                                 token_shaped, with_note)
from studio.core.session import ClientNote, Session
from studio.engine import validation as checks
from studio.engine.store_failures import refusing_store_failures
from studio.engine.validation import StudioError


class ReviewActions:
    """Mixed into `Studio`, which provides `open_session`, `store`, `clock` and `review_links`
    (services/reviews.py)."""

    # ------------------------------------------------------------ the designer's doors
    @refusing_store_failures
    def create_review_link(self, owner: str, session_id: str, days=limits.REVIEW_DAYS,
                           branch_only=False) -> tuple[str, ReviewLink]:
        """A read-only link to the session (or to the branch the designer is on, up to its head round), working for
        `days`: (the token, the link). The token is returned here only; the store keeps its hash."""
        session = self.open_session(owner, session_id)
        days = checks.whole("review_days", days, limits.MIN_REVIEW_DAYS, limits.MAX_REVIEW_DAYS)
        branch_only = checks.flag("branch_only", branch_only)
        head = head_index(session)
        if not session.rounds or (branch_only and head is None):
            raise StudioError("review.no_round")
        branch = head if branch_only else None
        now = self.clock()
        made = self.review_links.create(session.owner, session.id, branch, now, now + days * DAY_S,
                                        limits.MAX_REVIEW_LINKS)
        if made is None:
            raise StudioError("review.too_many", limit=limits.MAX_REVIEW_LINKS)
        return made

    @refusing_store_failures
    def list_review_links(self, owner: str, session_id: str) -> list[ReviewLink]:
        """The session's links, newest first (revoked and expired ones too), each with the notes it brought."""
        session = self.open_session(owner, session_id)
        return [replace(link, notes=notes_of(session, link.id))
                for link in self.review_links.list(session.owner, session.id)]

    @refusing_store_failures
    def revoke_review_link(self, owner: str, link_id) -> ReviewLink:
        """The link stops working at once; what clients sent through it stays in the session."""
        owner = checks.owner(owner)
        if not isinstance(link_id, str) or not limits.REVIEW_LINK_ID.fullmatch(link_id.strip()):
            raise StudioError("review.bad_link")
        revoked = self.review_links.revoke(owner, link_id.strip(), self.clock())
        if revoked is None:  # another owner's link looks just like a missing one
            raise StudioError("review.missing")
        return revoked

    # ------------------------------------------------------------ the client's doors: the token is the only key
    @refusing_store_failures
    def review(self, token) -> ReviewView:
        """What the link shows its client (core/reviews.py `shown_session`)."""
        link, session = self._reviewed(token)
        return ReviewView(link, shown_session(session, link))

    @refusing_store_failures
    def client_note(self, token, round_index, candidate, vote, comment: str = "", name: str = "",
                    client: str = "") -> ClientNote:
        """A client's vote (+1, -1, or 0 for a comment only) and comment on a candidate the link shows (round and
        candidate from 0, as stored). `client` is the random id the review page keeps in the client's browser: a
        new vote from the same client on the same candidate replaces their earlier one."""
        link, session = self._reviewed(token)
        vote = checks.whole("vote", vote, -1, 1)
        comment = checks.text("review_comment", comment, limits.MAX_REVIEW_COMMENT_CHARS)
        name = " ".join(checks.text("review_name", name, limits.MAX_REVIEW_NAME_CHARS).split())
        if not isinstance(client, str) or not limits.REVIEW_CLIENT.fullmatch(client):
            raise StudioError("review.no_client")
        round_index = checks.whole("round", round_index, 0, 10**6)
        candidate = checks.whole("candidate", candidate, 0, 10**6)
        if not shows(shown_session(session, link), round_index, candidate):
            raise StudioError("review.not_shown", round=round_index + 1, candidate=candidate + 1)
        if not vote and not comment:
            raise StudioError("review.empty")
        note = ClientNote(round_index, candidate, vote, comment, name, link.id, self.clock(),
                          client=client_tag(client))

        def noted(s: Session) -> Session:
            if notes_of(s, link.id) >= limits.MAX_REVIEW_NOTES:  # counted in the write's transaction
                raise StudioError("review.full", limit=limits.MAX_REVIEW_NOTES)
            return replace(with_note(s, note), updated=note.created)

        if self.store.update_session(session.id, noted) is None:
            raise StudioError("review.gone")
        return note

    def _reviewed(self, token) -> tuple[ReviewLink, Session]:
        """The link `token` opens and its session, or the one refusal for every token that opens nothing."""
        found = self.review_links.find(token) if token_shaped(token) else None
        owner, link = found or ("", None)
        session = self.store.load_session(link.session_id) if link and link.open_at(self.clock()) else None
        if session is None or session.owner != owner:
            raise StudioError("review.gone")
        return link, session
