"""The page: layout (what sits where), wiring (which event calls what), handlers (what an action does, over the
engine), presenters (what a session looks like) and components (controls whose values the engine checks); locales
holds its words, in English and Chinese. It never imports the model layer, never opens an image, never reaches the
store: everything it shows comes from the engine. Who the caller is, the gate decides (studio/web/identity.py).
"""
from __future__ import annotations

from pathlib import Path

import gradio as gr

from studio.core.messages import Message
from studio.engine import Studio
from studio.ui.handlers import Handlers
from studio.ui.layout import build_page
from studio.ui.locales import I18N
from studio.ui.wiring import connect

ASSETS = Path(__file__).parents[2] / "assets"
CSS = (ASSETS / "studio.css").read_text()
HEAD = f"<script>{(ASSETS / 'studio.js').read_text()}</script>"
__all__ = ["CSS", "HEAD", "I18N", "build_ui"]  # launch(css=CSS, head=HEAD, i18n=I18N)


def build_ui(studio: Studio, notes: list[Message] = (), gpu_concurrency: int = 2, grants=None,
             oauth: bool = False, browser_secret: str | None = None) -> gr.Blocks:
    """The page; `notes` (where the studio runs: a demo preset, no persistent storage) are its banner; `grants`
    (studio.web.files.FileGrants) learn whose each shown image is; `oauth` shows "Sign in with Hugging Face";
    `browser_secret` keeps what the browser stores readable across restarts."""
    with gr.Blocks(title="Design Collaborator", fill_height=True) as demo:
        page = build_page(studio, tuple(notes), oauth, browser_secret)
        page.demo = demo
        connect(page, Handlers(studio, grants=grants), gpu_concurrency)
    return demo
