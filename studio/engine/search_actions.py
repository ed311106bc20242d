"""The engine's doors for search across a designer's sessions: by words, by a candidate ("more like this") and by
words matched against images. Part of `Studio` (studio.py): each method checks who is asking and what, then asks
the search service (services/search.py) with the owner in every query; embeddings come from engine/embeddings.py.
"""
from __future__ import annotations

from studio.core import limits
from studio.core.search import SearchResults, query_terms
from studio.engine import validation as checks
from studio.engine.store_failures import refusing_store_failures
from studio.engine.validation import StudioError, refusing_model_load_errors
from studio.services.search import CandidateKey


class SearchActions:
    """Mixed into `Studio`, which provides `open_session`, `_search` (services/search.py) and `_embeddings`
    (engine/embeddings.py)."""

    @refusing_store_failures
    def search_text(self, owner: str, query: str, limit=limits.SEARCH_RESULTS) -> SearchResults:
        """The owner's briefs, prompts, captions, critiques, reasons and notes that hold every word of `query` (in
        any order, any case; Chinese as written), best first: at most `limit` places (a session, a round or a
        candidate), each once."""
        owner = checks.owner(owner)
        terms = search_terms(query)
        limit = checks.whole("search_limit", limit, 1, limits.MAX_SEARCH_RESULTS)
        return SearchResults(tuple(self._search.text(owner, terms, limit)))

    @refusing_store_failures
    def search_similar(self, owner: str, session_id: str, round_index, candidate,
                       limit=limits.SEARCH_RESULTS) -> SearchResults:
        """More like this candidate: the owner's candidates whose images are closest to it (it comes first)."""
        session = self.open_session(owner, session_id)
        round_, chosen = checks.candidate_with_image(session, round_index, candidate)
        limit = checks.whole("search_limit", limit, 1, limits.MAX_SEARCH_RESULTS)
        with refusing_model_load_errors():
            vector = self._embeddings.of_candidate(CandidateKey(session.id, round_.index, chosen.index, chosen.image))
            return self._nearest(session.owner, vector, limit)

    @refusing_store_failures
    def search_images(self, owner: str, text: str, limit=limits.SEARCH_RESULTS) -> SearchResults:
        """The owner's candidates whose images match `text` best, by the scorer (image against words)."""
        owner = checks.owner(owner)
        text = checks.text("search_query", text, limits.MAX_SEARCH_CHARS, required=True)
        limit = checks.whole("search_limit", limit, 1, limits.MAX_SEARCH_RESULTS)
        with refusing_model_load_errors():
            return self._nearest(owner, self._embeddings.of_text(text), limit)

    def _nearest(self, owner: str, vector, limit: int) -> SearchResults:
        unindexed = self._embeddings.fill(owner)  # older candidates first get their vectors, a bounded number a search
        hits = self._search.nearest(owner, self._embeddings.model_id(), vector, limit)
        return SearchResults(tuple(hits), unindexed)


def search_terms(query) -> tuple[str, ...]:
    """A query's words, checked: text, not empty, within limits.MAX_SEARCH_CHARS and MAX_SEARCH_TERMS."""
    terms = query_terms(checks.text("search_query", query, limits.MAX_SEARCH_CHARS, required=True))
    if len(terms) > limits.MAX_SEARCH_TERMS:
        raise StudioError("search.too_many_words", limit=limits.MAX_SEARCH_TERMS, count=len(terms))
    return terms
