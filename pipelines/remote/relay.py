"""A relay for studios that join the pool through Ray Client (`ray://`), where Serve streams cannot be read.

Ray 2.60: "Streaming DeploymentHandles are not currently supported when connected to a remote Ray cluster using
Ray Client." The relay is a small actor on the cluster, one per studio process: it reads each render's stream
there and hands the studio one item per call (`next`), so step events still arrive as the replica makes them,
and a cancel still reaches the replica. A replica lost mid-render comes back as a `Lost` item, not an error,
so the studio retries it as it does on the direct path. Imported only where Ray is installed.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass

import ray


@dataclass(frozen=True)
class Lost:
    """The replica rendering the request died or became unreachable."""

    reason: str


@ray.remote(num_cpus=0)
class StreamRelay:
    def __init__(self, app_name: str):
        from ray import serve

        self.handle = serve.get_app_handle(app_name)
        self.items: dict[str, asyncio.Queue] = {}
        self.responses: dict[str, object] = {}

    async def start(self, request, request_id: str) -> None:
        """Send `request` to the pool; its stream's items wait here for `next`."""
        items = self.items[request_id] = asyncio.Queue()
        response = self.responses[request_id] = self.handle.options(stream=True).render.remote(request, request_id)
        asyncio.get_running_loop().create_task(self._read(response, items))

    async def _read(self, response, items: asyncio.Queue) -> None:
        try:
            async for item in response:
                await items.put(item)
        except ray.exceptions.RayActorError as err:
            await items.put(Lost(str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__))
        except Exception as err:  # the studio re-raises it (e.g. a ValueError of the replica's check_inputs)
            await items.put(err)

    async def next(self, request_id: str):
        """The request's next item (a `Started`, a `StepEvent`, `Rendered`, `Lost`, or an error to raise)."""
        item = await self.items[request_id].get()
        if isinstance(item, BaseException):
            self.forget(request_id)
            raise item
        return item

    def cancel(self, request_id: str) -> None:
        """The studio's Stop: cancel the request (the replica stops at its next step)."""
        response = self.responses.get(request_id)
        if response is not None:
            response.cancel()
        self.forget(request_id)

    def forget(self, request_id: str) -> None:
        self.items.pop(request_id, None)
        self.responses.pop(request_id, None)
