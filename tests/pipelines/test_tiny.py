"""Tiny models build once into their cache and are reused from it afterwards."""
from __future__ import annotations

import json
import os

import diffusers
import pytest
import transformers

from pipelines import tiny
from pipelines.presets import FAMILY_CLASSES


def test_building_into_an_empty_cache_makes_every_family_and_reloads_it(tmp_path, monkeypatch):
    monkeypatch.setenv("DC_TINY_DIR", str(tmp_path))
    root = tmp_path / f"v{tiny.TINY_VERSION}"

    folders = {family: tiny.ensure(family) for family in tiny.BUILDERS}

    assert sorted(p.name for p in root.iterdir()) == sorted(tiny.BUILDERS)  # no half-built staging left
    for family, folder in folders.items():
        assert folder == root / family
        assert json.loads((folder / "built.json").read_text()) == {"family": family, "version": tiny.TINY_VERSION}

    def must_not_rebuild(folder):
        raise AssertionError(f"rebuilt {folder} although it is cached")

    monkeypatch.setattr(tiny, "BUILDERS", {family: must_not_rebuild for family in tiny.BUILDERS})
    for family, folder in folders.items():
        assert tiny.ensure(family) == folder
        for class_name in FAMILY_CLASSES.get(family, ()):  # IP-Adapters load through load_ip_adapter (test_presets)
            library = diffusers if hasattr(diffusers, class_name) else transformers
            loaded = getattr(library, class_name).from_pretrained(folder)
            assert type(loaded).__name__ == class_name


def test_an_unknown_family_names_the_known_ones():
    with pytest.raises(ValueError, match="no tiny model for family 'sd3'") as raised:
        tiny.ensure("sd3")

    assert all(family in str(raised.value) for family in tiny.BUILDERS)


def test_the_tiny_tokenizers_are_the_same_in_every_process():
    """A fresh cache (every CI machine builds one) must tokenize as this one does: tests see the same ids."""
    import subprocess
    import sys

    script = ("import hashlib, json; from pipelines.tiny import clip_tokenizer, qwen_tokenizer; "
              "print(hashlib.sha256(json.dumps([t('navy and gold art deco, jazz: Saxophone!')['input_ids'] "
              "+ sorted(t.get_vocab().items()) for t in (clip_tokenizer(), qwen_tokenizer())]).encode()).hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}

    assert len(digests) == 1, "the byte-pair merges depend on the process's hash order"
