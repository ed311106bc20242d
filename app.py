"""Design Collaborator: `python app.py` serves the studio at http://127.0.0.1:7860.

settings -> store (recover what a crash left) -> models -> engine -> page -> launch -> models load behind the page.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

from gradio.utils import get_upload_folder  # noqa: E402

from pipelines.registry import ModelRegistry  # noqa: E402
from pipelines.safety import NudeNetChecker  # noqa: E402
from studio.core import limits  # noqa: E402
from studio.engine import Studio  # noqa: E402
from studio.settings import choose_preset, parse_settings, storage_notes  # noqa: E402
from studio.services.sessions import Store, StoreError  # noqa: E402
from studio.ui import CSS, HEAD, I18N, build_ui  # noqa: E402
from studio.ui.identity import browser_secret  # noqa: E402

log = logging.getLogger("design-collaborator")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = parse_settings(argv)
    try:
        store = Store(settings.data_dir)
    except StoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    interrupted = store.recover()
    if interrupted:
        log.info("marked %d round(s) interrupted by the last stop", interrupted)
    preset, notes = choose_preset(settings.preset)
    notes += storage_notes(settings)
    for note in notes:
        log.warning(str(note).replace("**", ""))
    log.info("preset %s, data in %s", preset.name, settings.data_dir)
    if settings.safety:
        log.info("image safety check on: flagged images are replaced by a placeholder and never stored")
    # Uploads are read only from Gradio's upload folder: a path from an API caller can name nothing else.
    models = ModelRegistry(preset, speed=settings.speed)
    studio = Studio(store, models, safety=NudeNetChecker() if settings.safety else None,
                    upload_roots=(Path(get_upload_folder()),))
    demo = build_ui(studio, notes=notes, gpu_concurrency=settings.gpu_concurrency,
                    browser_secret=browser_secret(settings.data_dir))
    demo.queue(max_size=settings.queue_size, default_concurrency_limit=8)
    demo.launch(server_name=settings.host, server_port=settings.port, share=settings.share,
                auth=list(settings.auth) or None, css=CSS, head=HEAD, i18n=I18N, show_error=True,
                blocked_paths=[str(store.db_path), str(settings.data_dir), ".env"], footer_links=["api"],
                max_file_size=limits.MAX_UPLOAD_BYTES, prevent_thread_lock=True)
    if settings.preload:  # the page is up: load the models behind it while the designer writes a brief
        threading.Thread(target=preload, args=(models,), daemon=True, name="preload").start()
    demo.block_thread()
    return 0


def preload(models: ModelRegistry) -> None:
    started = time.perf_counter()
    models.preload()
    log.info("models loaded in %.1f s: %s", time.perf_counter() - started, ", ".join(models.loaded()) or "none")


if __name__ == "__main__":
    sys.exit(main())
