"""Fair shares of the queue: each owner may hold only so many events in it, and work nobody waits for never starts.

Gradio's queue is one line for everyone, `max_size` long: one client could fill it and every other person's page
load, list and Stop would be refused. Every way into the queue (`/queue/join`, `/call/…`) passes
`Queue.push`; `Admission.install` wraps it, so before an event joins, the owner (set by the gate) is counted:

- at most `rounds` events of the model group (rounds, questions to the VQA model) queued or running;
- at most `events` events of any kind queued or running.

Beyond either, the join is refused (HTTP 429) in the caller's language, and nothing is queued. An event still
waiting `caller_grace` seconds after it joined, whose caller has no stream open to hear it (a fire-and-forget
join, a closed tab), is dropped before it starts. Gradio itself drops the events of a stream that closes.
"""
from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from typing import Callable

from fastapi import HTTPException

from studio.core.messages import Message, language_of
from studio.web.identity import OWNER_HEADER


@dataclass(frozen=True)
class Shares:
    rounds: int = 2  # model-group events (rounds, /ask) one owner may have queued or running
    events: int = 16  # events of any kind one owner may have queued or running
    caller_grace: float = 10.0  # seconds a queued event waits for its caller's stream before it is dropped


class Admission:
    def __init__(self, shares: Shares, model_group: str, on_refusal: Callable[[str], None] = lambda kind: None):
        self.shares, self.model_group, self.on_refusal = shares, model_group, on_refusal
        self._listening: Counter[str] = Counter()  # session hash or event id -> open streams

    # ------------------------------------------------------------ streams, told by the gate
    def stream_opened(self, key: str) -> None:
        self._listening[key] += 1

    def stream_closed(self, key: str) -> None:
        self._listening[key] -= 1
        if self._listening[key] <= 0:
            del self._listening[key]

    # ------------------------------------------------------------ the queue's door
    def install(self, queue) -> None:
        push = queue.push

        async def admitted_push(body, request, username):
            owner = request.headers.get(OWNER_HEADER, "")
            refusal = self.refusal(queue, owner, body)
            if refusal is not None:
                self.on_refusal(refusal.code.removeprefix("hosting."))
                lang = language_of(request.headers.get("accept-language"))
                raise HTTPException(status_code=429, detail=refusal.text(lang))
            success, event_id, state = await push(body=body, request=request, username=username)
            if success and self.shares.caller_grace >= 0:
                asyncio.get_running_loop().call_later(self.shares.caller_grace, self._drop_if_unheard, queue,
                                                      event_id)
            return success, event_id, state

        queue.push = admitted_push

    def refusal(self, queue, owner: str, body) -> Message | None:
        fn = _fn(queue, body)
        if fn is None:
            return None  # Gradio refuses it in its own words
        held = [e for e in _waiting(queue) + _running(queue) if e.request.headers.get(OWNER_HEADER, "") == owner]
        if fn.concurrency_id == self.model_group:
            rounds = sum(e.concurrency_id == self.model_group for e in held)
            if rounds >= self.shares.rounds:
                return Message("hosting.too_many_rounds", {"limit": self.shares.rounds})
        if len(held) >= self.shares.events:
            return Message("hosting.too_many_requests", {"limit": self.shares.events})
        return None

    def _drop_if_unheard(self, queue, event_id: str) -> None:
        event = next((e for e in _waiting(queue) if e._id == event_id), None)
        if event is None or self._listening[event.session_hash] or self._listening[event_id]:
            return
        self.on_refusal("caller_gone")
        asyncio.ensure_future(queue.clean_events(event_id=event_id))


def _fn(queue, body):
    try:
        return queue.blocks.fns[body.fn_index]
    except (KeyError, IndexError, TypeError, AttributeError):
        return None


def _waiting(queue) -> list:
    return [e for q in queue.event_queue_per_concurrency_id.values() for e in q.queue]


def _running(queue) -> list:
    return [e for job in queue.active_jobs if job for e in job]
