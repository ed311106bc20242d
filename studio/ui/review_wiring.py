"""The Review link tab's events: which control calls which action (review_handlers.py), under which API name."""
from __future__ import annotations

from studio.ui import review_handlers as links

# The page sends its own address with a Create, so the link is shown whole; the API sends none (its path comes back).
WITH_ORIGIN = "(sid, days, branch, origin, ...rest) => [sid, days, branch, window.location.origin, ...rest]"


def connect_review(p, on, quiet: dict) -> None:
    on(p.create_review.click, ["session_id", "days", "branch_only", "origin"], links.create_link,
       [p.session_id, p.review_days, p.review_branch_only, p.review_origin], ["review_url", "review_links", "status"],
       api_name="create_review_link", js=WITH_ORIGIN, **quiet)
    on(p.review_tab.select, ["session_id"], links.list_links, [p.session_id], ["review_links"],
       api_name="list_review_links", **quiet)
    p.review_links.select(links.link_chosen, None, [p.review_link_id], api_visibility="private", **quiet)
    on(p.revoke_review.click, ["session_id", "link_id"], links.revoke_link, [p.session_id, p.review_link_id],
       ["review_links", "review_link_id", "status"], api_name="revoke_review_link", **quiet)
    # Another session opened: the address shown and the link chosen were the one before's. Cleared in the browser;
    # the list is read again when the tab is opened.
    p.session_id.change(None, None, [p.review_url, p.review_link_id], js="() => ['', '']")
