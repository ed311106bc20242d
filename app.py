"""Design Collaborator: `python app.py` serves the studio at http://127.0.0.1:7860.

settings -> store (recover what a crash left) -> models -> engine -> page -> gate -> serve -> models load behind
the page; a stop signal drains the rounds, then the store closes.
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

from pipelines import zerogpu  # noqa: E402
from pipelines.registry import ModelRegistry  # noqa: E402
from pipelines.safety import NudeNetChecker  # noqa: E402
from studio.core import limits  # noqa: E402
from studio.engine import Studio  # noqa: E402
from studio.settings import choose_preset, parse_settings, storage_notes  # noqa: E402
from studio.services.sessions import Store, StoreError  # noqa: E402
from studio.ui import CSS, HEAD, I18N, build_ui  # noqa: E402
from studio.ui.wiring import GPU  # noqa: E402
from studio.settings import Settings  # noqa: E402
from studio.web.admission import Admission, Shares  # noqa: E402
from studio.web.files import FileGrants, UploadLedger  # noqa: E402
from studio.web.gate import Hosting  # noqa: E402
from studio.web.identity import BrowserIds, browser_secret  # noqa: E402
from studio.web.login import LoginLimiter  # noqa: E402
from studio.web.ops import Operations, operations_routes  # noqa: E402
from studio.web.review import review_routes  # noqa: E402
from studio.web.server import serve, web_app  # noqa: E402

log = logging.getLogger("design-collaborator")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    zerogpu.activate()  # on a ZeroGPU Space: before anything asks torch about CUDA, on this thread
    settings = parse_settings(argv)
    try:
        store = Store(settings.data_dir)
    except StoreError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    interrupted = store.recover()
    if interrupted:
        log.info("marked %d round(s) interrupted by the last stop", interrupted)
    studio, notes = engine(settings, store)
    grants = FileGrants(Path(get_upload_folder()))
    demo = build_ui(studio, notes=notes, gpu_concurrency=settings.gpu_concurrency, grants=grants,
                    oauth=settings.hosting.oauth, browser_secret=browser_secret(settings.data_dir))
    # Unused uploads, and Gradio's copies of the images it showed, go after `upload_expiry_s`.
    demo.delete_cache = (min(600, settings.hosting.upload_expiry_s), settings.hosting.upload_expiry_s)
    demo.queue(max_size=settings.queue_size, default_concurrency_limit=8, api_open=False)
    ops = Operations(studio, demo)
    ops.recovered(interrupted)
    hosting = gate(settings, studio, grants, ops)
    hosting.admission.install(demo._queue)
    app = web_app(demo, hosting, routes=[*operations_routes(ops), *review_routes(studio)], origins=settings.hosting.origins,
                  auth=list(settings.auth) or None, css=CSS, head=HEAD, i18n=I18N, show_error=False,
                  blocked_paths=[str(store.db_path), str(settings.data_dir), ".env"], footer_links=["api"],
                  max_file_size=limits.MAX_UPLOAD_BYTES)

    if zerogpu.on_zero_gpu():  # every model loads on this thread, and ZeroGPU hears of them, before the page is up
        preload(studio.models)
        studio.models.segmenter()
        zerogpu.startup()

    def started():
        if settings.preload and not zerogpu.on_zero_gpu():  # the page is up: load the models behind it
            threading.Thread(target=preload, args=(studio.models,), daemon=True, name="preload").start()

    serve(app, settings.host, settings.port, drain=lambda: studio.shut_down(settings.stop_grace), on_started=started)
    store.close()
    log.info("stopped")
    return 0


def engine(settings: Settings, store: Store) -> tuple[Studio, list]:
    """The engine over the store and the preset's models, and the notes the page shows about where it runs."""
    preset, notes = choose_preset(settings.preset, settings.backends)
    notes += storage_notes(settings)
    for note in notes:
        log.warning(str(note).replace("**", ""))
    log.info("preset %s, data in %s; models: %s", preset.name, settings.data_dir,
             ", ".join(f"{role} {where}" for role, where in settings.backends.describe().items()))
    if settings.safety:
        log.info("image safety check on: flagged images are replaced by a placeholder and never stored")
    # Uploads are read only from Gradio's upload folder: a path from an API caller can name nothing else.
    studio = Studio(store, ModelRegistry(preset, speed=settings.speed, backends=settings.backends),
                    safety=NudeNetChecker() if settings.safety else None, upload_roots=(Path(get_upload_folder()),),
                    quotas=limits.Quotas(settings.hosting.sessions_per_owner, settings.hosting.images_per_owner))
    return studio, notes


def gate(settings: Settings, studio: Studio, grants: FileGrants, ops: Operations) -> Hosting:
    """The HTTP gate's knowledge: who may call (keys, signed browser ids) and each owner's share."""
    share = settings.hosting
    secret = browser_secret(settings.data_dir)
    return Hosting(grants=grants,
                   uploads=UploadLedger(share.uploads_per_owner, share.upload_mb_per_owner * 2**20,
                                        share.upload_expiry_s),
                   admission=Admission(Shares(share.rounds_per_owner, share.requests_per_owner,
                                              share.caller_grace_s), model_group=GPU, on_refusal=ops.refused),
                   logins=LoginLimiter(), owner_for_key=studio.owner_for_key, on_refusal=ops.refused,
                   browser_ids=BrowserIds(secret) if share.allow_anonymous else None, on_space=settings.on_space)


def preload(models: ModelRegistry) -> None:
    started = time.perf_counter()
    models.preload()
    log.info("models loaded in %.1f s: %s", time.perf_counter() - started, ", ".join(models.loaded()) or "none")


if __name__ == "__main__":
    sys.exit(main())
