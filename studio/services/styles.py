"""Style presets: a prompt template, a negative prompt and suggested settings, from assets/styles/*.json."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

STYLES_DIR = Path(__file__).parents[2] / "assets" / "styles"
SUGGESTIBLE = ("steps", "guidance")  # settings a style may suggest; the designer's own choice wins


@dataclass(frozen=True)
class Style:
    key: str  # the file name, e.g. "art-deco"
    name: str
    prompt: str  # a template holding "{prompt}": where the refined prompt goes
    negative: str = ""
    suggested: dict = field(default_factory=dict)

    def apply(self, prompt: str) -> str:
        return self.prompt.replace("{prompt}", prompt)


def load_styles(folder: Path = STYLES_DIR) -> dict[str, Style]:
    styles = {}
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text())
        if "{prompt}" not in data["prompt"]:
            raise ValueError(f"Style {path.name}: its prompt must contain {{prompt}}, where the refined prompt goes.")
        suggested = {k: v for k, v in data.get("suggested", {}).items() if k in SUGGESTIBLE}
        styles[path.stem] = Style(path.stem, data["name"], data["prompt"], data.get("negative", ""), suggested)
    return styles
