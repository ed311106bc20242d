"""Each model role's backend, loaded once per process, lazily, and shared across sessions.

A role runs in this process (the preset's model, behind the device lock of `pipelines/inprocess.py`) or on a
server (`pipelines/remote/`, as `Backends` says). Either way the studio gets the same Protocol.
"""
from __future__ import annotations

import gc
import logging
import threading
import time
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable

from pipelines import tiny
from pipelines.backends import Backends, placed
from pipelines.base import (Captioner, Generator, ModelLoadError, ModelUnavailable, Refiner, Scorer, Segmenter,
                            SpeedOptions, Upscaler, Viewer)
from pipelines.critic import ModelCritic
from pipelines.inprocess import MODEL_CALLS, LocalGenerator, Locked
from pipelines.ocr import RapidTextReader
from pipelines.presets import IPAdapterSpec, ModelSpec, Preset

if TYPE_CHECKING:
    from pipelines.device import Placement

ROLES = ("refiner", "generator", "captioner", "scorer", "viewer", "segmenter")
# What a round needs, in the order it needs them: `preload` loads these. The rest load at their first use.
PRELOADED_ROLES = ("refiner", "generator", "captioner", "scorer", "viewer")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadEvent:
    role: str
    model_id: str
    state: str  # "loading" | "loaded" | "failed"
    seconds: float = 0.0
    message: str = ""


def source(spec: ModelSpec) -> str:
    """Where `from_pretrained` reads `spec` from: the hub id, or the local folder of a tiny model."""
    return str(tiny.ensure(spec.family)) if spec.is_tiny else spec.model_id


def adapter_source(adapter: IPAdapterSpec | None) -> IPAdapterSpec | None:
    """`adapter` with `repo` where `load_ip_adapter` reads it from: the hub id, or the local folder of a tiny one."""
    if adapter is None or not adapter.is_tiny:
        return adapter
    return replace(adapter, repo=str(tiny.ensure(adapter.family)))


class ModelRegistry:
    def __init__(self, preset: Preset, placement: Placement | None = None, speed: SpeedOptions = SpeedOptions(),
                 backends: Backends = Backends()):
        self.preset = placed(preset, backends)
        self.backends = backends
        self._placement = placement  # chosen on first use: torch loads behind the page, not before it
        self.speed = speed
        self.load_counts: Counter[str] = Counter()
        self._models: dict[str, object] = {}
        # One load at a time, whatever the role: loading imports diffusers' and transformers' lazy modules, and two
        # threads importing them at once (the preload behind the page and a designer's first round) can each see
        # the other's half-initialised module ("Failed to import diffusers.models.autoencoders..."). Importing
        # everything up front instead would put those seconds before the page. Re-entrant: a load may ask for
        # another role. A model already loaded is returned without it.
        self._load_lock = threading.RLock()
        # One model call at a time in this process (pipelines/inprocess.py): in-process models hold it per call.
        self.device_lock = threading.RLock()
        self._listeners: list[Callable[[LoadEvent], None]] = []
        self.text_reader = RapidTextReader()  # real OCR in every preset: its models ship in the wheel

    @property
    def placement(self) -> Placement:
        if self._placement is None:
            from pipelines.device import best_placement

            # The tiny preset keeps fp32 under "auto": plumbing that behaves the same on every machine.
            dtype = "float32" if self.speed.dtype == "auto" and self.preset.generator.is_tiny else self.speed.dtype
            self._placement = best_placement(dtype)
        return self._placement

    # ------------------------------------------------------------ progress
    def add_listener(self, listener: Callable[[LoadEvent], None]) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Callable[[LoadEvent], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _emit(self, event: LoadEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    # ------------------------------------------------------------ models
    # Each role's module is imported inside its load(): under the load lock, never beside another load.
    def refiner(self) -> Refiner:
        spec = self.preset.refiner

        remote = self.backends.refiner
        if remote is not None:
            from pipelines.remote.openai_chat import RemoteRefiner

            return self._get("refiner", spec, lambda: RemoteRefiner(remote), local=False)

        def load() -> Refiner:
            from pipelines.refiner import ChatRefiner

            refiner = ChatRefiner(spec.model_id, source(spec), self.placement, compile=self.speed.compile)
            if self.speed.compile:
                refiner.warm_up()
            return Locked(refiner, self.device_lock, MODEL_CALLS["refiner"])

        return self._get("refiner", spec, load)

    def generator(self) -> Generator:
        preset = self.preset
        spec, previewer = preset.generator, preset.previewer

        pool = self.backends.generator
        if pool is not None:
            from pipelines.remote.ray_pool import PoolGenerator

            return self._get("generator", spec, lambda: PoolGenerator(pool, preset, self.speed), local=False)

        def load() -> Generator:
            from pipelines.generator import DiffusersGenerator

            generator = DiffusersGenerator(spec.model_id, source(spec), spec.classes[0], self.placement, self.speed,
                                           source(previewer) if previewer else None, adapter_source(preset.ip_adapter))
            if self.speed.compile:  # compile now, at load, not in the designer's first round
                generator.warm_up(preset.size, preset.size, preset.steps, count=4)
            return LocalGenerator(generator, self.device_lock, self.free_memory)

        return self._get("generator", spec, load)

    def captioner(self) -> Captioner:
        cap, vqa = self.preset.captioner, self.preset.vqa

        def load() -> Captioner:
            from pipelines.captioner import BlipCaptioner

            captioner = BlipCaptioner((cap.model_id, source(cap), cap.classes[0]),
                                      (vqa.model_id, source(vqa), vqa.classes[0]), self.placement)
            return Locked(captioner, self.device_lock, MODEL_CALLS["captioner"])

        return self._get("captioner", cap, load)

    def scorer(self) -> Scorer:
        spec = self.preset.scorer

        def load() -> Scorer:
            from pipelines.scorer import ClipScorer

            return Locked(ClipScorer(spec.model_id, source(spec), self.placement), self.device_lock,
                          MODEL_CALLS["scorer"])

        return self._get("scorer", spec, load)

    def upscaler(self) -> Upscaler:
        """The generator's own image-to-image pass, tiled: not a load of its own (it shares the loaded generator)."""
        from pipelines.upscaler import GeneratorUpscaler

        return GeneratorUpscaler(self.generator(), self.preset.upscale_tile, self.preset.max_upscale)

    def segmenter(self) -> Segmenter:
        """Loads at its first use (a region edit by name), never in `preload`: most sessions never ask for it."""
        spec = self.preset.segmenter

        def load() -> Segmenter:
            from pipelines.segmenter import ClipSegSegmenter

            return Locked(ClipSegSegmenter(spec.model_id, source(spec), self.placement), self.device_lock,
                          MODEL_CALLS["segmenter"])

        return self._get("segmenter", spec, load)

    def viewer(self) -> Viewer | None:
        """A critic's eyes: a vision-language model on a server, or in this process when the preset has one."""
        remote, spec = self.backends.vlm, self.preset.vlm
        if spec is None:
            return None
        if remote is not None:
            from pipelines.remote.vision import RemoteViewer

            return self._get("viewer", spec, lambda: RemoteViewer(remote), local=False)

        def load() -> Viewer:
            from pipelines.vision import LocalViewer

            return Locked(LocalViewer(spec.model_id, source(spec), self.placement), self.device_lock,
                          MODEL_CALLS["viewer"])

        return self._get("viewer", spec, load)

    def critic(self) -> ModelCritic:
        return ModelCritic(self.captioner(), self.scorer(), self.refiner(), self.text_reader, viewer=self.viewer())

    def preload(self) -> None:
        """Load every model now, in the order a round needs them. At the first that fails to load, preloading
        stops (the rest would most likely fail alike): the failure is logged, and the round that needs the
        model reports it to the designer. Each in-process load holds the device lock (`_load`): a round's model
        call never runs beside a load (a call may import lazily too), and a round waits at most one load."""
        for role in (r for r in PRELOADED_ROLES if r in self.roles):
            load = getattr(self, role)
            try:
                load()
            except ModelLoadError as err:
                log.warning("preloading stopped: %s", err)
                return

    @property
    def roles(self) -> tuple[str, ...]:
        """The roles this registry has: a viewer only where a critic that sees is set (`--vlm-url`, `--vlm-model`)."""
        return tuple(role for role in ROLES if role != "viewer" or self.preset.vlm is not None)

    def loaded(self) -> tuple[str, ...]:
        return tuple(role for role in ROLES if role in self._models)

    def _get(self, role: str, spec: ModelSpec, build: Callable[[], object], local: bool = True):
        model = self._models.get(role)
        if model is not None:
            return model
        with self._load_lock:
            model = self._models.get(role)
            if model is None:
                model = self._models[role] = self._load(role, spec, build, local)
        return model

    def _load(self, role: str, spec: ModelSpec, build: Callable[[], object], local: bool):
        # In process, a load holds the device (taken after the load lock, never before it); a server's client (and the
        # pool's tokenizer) does not.
        with self.device_lock if local else nullcontext():
            model = self._build(role, spec, build, local)
        self.load_counts[role] += 1
        return model

    def _build(self, role: str, spec: ModelSpec, build: Callable[[], object], local: bool):
        import torch

        self._emit(LoadEvent(role, spec.model_id, "loading"))
        started = time.perf_counter()
        try:
            model = build()
        except torch.OutOfMemoryError as err:
            error = ModelLoadError(
                f"Not enough {self.placement.device} memory to load {spec.model_id} ({role}): the "
                f"'{self.preset.name}' preset needs about {self.preset.memory_gb:g} GB. Choose a smaller "
                f"preset (--preset cpu, or --preset tiny for the offline demo) or close what else uses memory.")
            self._emit(LoadEvent(role, spec.model_id, "failed", message=str(error)))
            raise error from err
        except ModelLoadError as err:  # a backend's own words (a server that cannot be reached)
            self._emit(LoadEvent(role, spec.model_id, "failed", message=str(err)))
            raise
        except (OSError, ValueError, ImportError, RuntimeError) as err:
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            error = ModelUnavailable(
                f"Could not reach {spec.model_id} ({role}) where it is served: {reason} Is its server running? "
                f"README, Beyond one machine, says how to start one.") if not local else ModelLoadError(
                f"Could not load {spec.model_id} ({role}): {reason} "
                f"If this machine is offline, download the weights where the Hugging Face hub is reachable "
                f"(`hf download {spec.model_id}`) and point HF_HOME at that cache, or start with "
                f"`--preset tiny` for the offline demo.")
            self._emit(LoadEvent(role, spec.model_id, "failed", message=str(error)))
            raise error from err
        self._emit(LoadEvent(role, spec.model_id, "loaded", time.perf_counter() - started))
        return model

    def unload(self, role: str | None = None) -> None:
        """Free one role's model (or all): the next use loads it again."""
        with self._load_lock:
            for name in ([role] if role else ROLES):
                self._models.pop(name, None)
        self.free_memory()

    def free_memory(self) -> None:
        """Give back what the allocator keeps cached: after an out-of-memory error, before a retry."""
        import torch

        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
