"""The engine's doors for reproducing a candidate and comparing two. Part of `Studio` (studio.py): each method checks
who is asking, then hands the action to its room (reproduce.py renders; studio/core/compare.py aligns the rows).
Neither changes the session.
"""
from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from studio.core.compare import Comparison, compare
from studio.core.limits import shown
from studio.core.messages import field_name
from studio.core.session import Session
from studio.engine import gallery, validation as checks
from studio.engine.reproduce import Reproducer, Reproduction
from studio.engine.store_failures import refusing_store_failures
from studio.engine.validation import StudioError

@dataclass(frozen=True, eq=False)
class Compared:
    comparison: Comparison
    first: Image.Image
    second: Image.Image


class CompareActions:
    """Mixed into `Studio`, which provides `open_session`, `store`, `models` and `_worker` (its safety check)."""

    @refusing_store_failures
    def reproduce(self, owner: str, session_id: str, round_index, candidate) -> Reproduction:
        """Render a candidate (indices from 0) again from its stored recipe: the new image, the stored one, and a
        report (identical or how far not; what rendered it then and now). Nothing is stored."""
        session = self.open_session(owner, session_id)
        return Reproducer(self.store, self.models, self._worker.safety).reproduce(session, round_index, candidate)

    @refusing_store_failures
    def compare(self, owner: str, session_id: str, first, second) -> Compared:
        """Two candidates of the session, each a (round, candidate) pair from 0, of any rounds: their images and
        their prompts, settings and scorecards in aligned rows, the differences marked."""
        session = self.open_session(owner, session_id)
        a, b = candidate_pair(session, "compare_first", first), candidate_pair(session, "compare_second", second)
        images = [gallery.opened(self.store, checks.chosen_candidate(session, *pair)[1].image) for pair in (a, b)]
        return Compared(compare(session, a, b), *images)


def candidate_pair(session: Session, what: str, pair) -> tuple[int, int]:
    """A (round, candidate) pair (0-based) naming a candidate of the session, as stored."""
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise StudioError("compare.pair", what=field_name(what), value=shown(pair))
    round_, chosen = checks.chosen_candidate(session, *pair)
    return round_.index, chosen.index


def picked(what: str, value) -> tuple[int, int]:
    """The page's "2.3" (round 2, candidate 3, as the strip counts) -> (1, 2); an empty side is refused too."""
    pair = checks.start_from(value, what)
    if pair is None:
        raise StudioError("start_from.bad", what=field_name(what), value=shown(value))
    return pair
