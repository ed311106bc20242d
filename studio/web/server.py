"""The studio's web server: Gradio's app mounted in one of ours, served by uvicorn, stopped gently.

Ours holds what sits outside the page: `/healthz` and `/metrics`, and CORS for the studio's own origin only (a
parent app's `CORSMiddleware` is the policy Gradio then defers to). Inside Gradio's app, the gate (gate.py) sees
every request first. Serving it ourselves, not through `launch()`, lets a stop signal drain the rounds first:
SIGTERM (or Ctrl-C) stops taking rounds, lets running ones finish for a grace period, interrupts the rest, and
only then closes the server; a second Ctrl-C stops at once.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable, Sequence

import gradio as gr
import uvicorn
from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from studio.web.gate import Gate, Hosting

log = logging.getLogger("design-collaborator")


def web_app(demo: gr.Blocks, hosting: Hosting, routes: Sequence = (), origins: Sequence[str] = (),
            **gradio_options) -> FastAPI:
    """Our app with the page mounted at the root. `gradio_options` go to `gr.mount_gradio_app` (auth, css, …)."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.add_middleware(CORSMiddleware, allow_origins=list(origins), allow_credentials=True,
                       allow_methods=["GET", "POST"], allow_headers=["*"])
    app.router.routes.extend(routes)  # before the mount, which answers every other path
    return gr.mount_gradio_app(app, demo, path="", ssr_mode=False,
                               app_kwargs={"middleware": [Middleware(Gate, hosting=hosting)]}, **gradio_options)


class StudioServer(uvicorn.Server):
    """uvicorn, whose first stop signal runs `drain` (on a thread of its own) before the server closes."""

    def __init__(self, config: uvicorn.Config, drain: Callable[[], None], on_started: Callable[[], None]):
        super().__init__(config)
        self.drain, self.on_started = drain, on_started
        self._draining = False

    async def startup(self, sockets=None) -> None:
        await super().startup(sockets)
        if self.started:
            host, port = self.config.host, self.config.port
            log.info("Running on http://%s:%d", "127.0.0.1" if host in ("0.0.0.0", "::") else host, port)
            self.on_started()

    def handle_exit(self, sig, frame) -> None:
        if self._draining:  # a second signal: stop now
            self.force_exit = True
            self.should_exit = True
            return
        self._draining = True
        log.info("stop asked (signal %s): finishing running rounds, taking no new ones", sig)

        def drain_then_exit():
            try:
                self.drain()
            except Exception:
                log.exception("draining the rounds failed; stopping anyway")
            self.should_exit = True

        threading.Thread(target=drain_then_exit, name="drain", daemon=True).start()


def serve(app: FastAPI, host: str, port: int, drain: Callable[[], None], on_started: Callable[[], None]) -> None:
    """Serve until a stop signal has drained the rounds (blocks the calling thread, which must be the main one)."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3,
                            ws="none", lifespan="on")
    StudioServer(config, drain, on_started).run()
