"""Candidates' image embeddings for search by image, from the scorer (the critic's CLIP): computed when a round's
candidates are critiqued (the worker calls `keep_round`, under the model lock), and for candidates that have none
(older rounds, imported sessions) when a search by image needs them, a bounded number per search (`fill`).

Every scorer call here runs under the one model lock, as every model call does.
"""
from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
from PIL import Image

from studio.core import limits
from studio.core.session import Candidate
from studio.engine import gallery
from studio.engine.validation import StudioError
from studio.services.search import CandidateKey, SearchService
from studio.services.sessions import Store

log = logging.getLogger(__name__)


class CandidateEmbeddings:
    def __init__(self, search: SearchService, store: Store, models):
        self.search = search
        self.store = store
        self.models = models  # studio.engine.studio.Models

    def keep_round(self, session_id: str, round_index: int, candidates: Sequence[Candidate],
                   images: Sequence[Image.Image]) -> None:
        """Embed a round's candidates and keep their vectors (a withheld one's is empty: its file is a placeholder).
        A failure is logged and leaves the round as it is: a later search by image embeds
        what is missing."""
        kept = [(c, image) for c, image in zip(candidates, images) if not c.withheld]
        try:
            scorer = self.models.scorer()
            vectors = iter(scorer.embed_images([image for _, image in kept]) if kept else ())
            self.search.keep_vectors([CandidateKey(session_id, round_index, c.index, c.image) for c in candidates],
                                     [None if c.withheld else next(vectors) for c in candidates], scorer.model_id)
        except Exception:  # the round's images and critiques are what matters; the index catches up at a search
            log.exception("could not embed round %s of session %s for search", round_index, session_id)

    def model_id(self) -> str:
        """The scorer's id: the vectors a search compares are this model's."""
        return self.models.scorer().model_id

    def of_text(self, text: str) -> np.ndarray:
        """`text`'s unit vector from the scorer's text tower."""
        return np.asarray(self.models.scorer().embed_texts([text])[0], np.float32)

    def of_candidate(self, key: CandidateKey) -> np.ndarray:
        """One candidate's unit vector: the kept one, or embedded now (and kept)."""
        model = self.model_id()
        found = self.search.vector(key, model)
        if found is not None:
            return found
        return self._embed([key], [gallery.opened(self.store, key.image).convert("RGB")])[0]

    def fill(self, owner: str) -> int:
        """Embed up to limits.EMBED_PER_SEARCH of the owner's candidates that have no vector yet, a batch at a time;
        returns how many are still without one."""
        model = self.model_id()
        missing, total = self.search.unembedded(owner, model, limits.EMBED_PER_SEARCH)
        withheld = self.search.withheld(missing)  # kept as empty vectors: counted as done from now on
        self.search.keep_vectors([key for key in missing if key in withheld], [None] * len(withheld), model)
        missing = [key for key in missing if key not in withheld]
        for start in range(0, len(missing), limits.EMBED_BATCH):
            self._embed_readable(missing[start:start + limits.EMBED_BATCH])
        return total - len(missing) - len(withheld)

    def _embed(self, keys: Sequence[CandidateKey], images: Sequence[Image.Image]) -> np.ndarray:
        scorer = self.models.scorer()
        vectors = np.asarray(scorer.embed_images(images), np.float32)
        self.search.keep_vectors(keys, vectors, scorer.model_id)
        return vectors

    def _embed_readable(self, keys: Sequence[CandidateKey]) -> None:
        """Embed the candidates whose files can be read; a lost file (recover() drops its row at the next start) is
        left out, not a refusal of the whole search."""
        readable, images = [], []
        for key in keys:
            try:
                images.append(gallery.opened(self.store, key.image).convert("RGB"))
                readable.append(key)
            except StudioError:
                log.warning("search: candidate image %s cannot be read; not embedded", key.image)
        if readable:
            self._embed(readable, images)
