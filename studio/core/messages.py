"""The studio's own words as data: a message is a code and its arguments; the reader's language makes it text.

Pure: no I/O, no gradio. What the engine refuses, reports while a round runs, and stores (a round's error) is a
`Message`; the page says it in the reader's language (`Message.text(lang)`), an API caller reads the English.
An argument may itself be a `Message` (a field's name, a round's status): it is said in the same language.
The templates are `str.format` strings; every language of a code takes the same arguments.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from studio.core.texts import ENGINE

LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"
Templates = dict[str, dict[str, str]]


@dataclass(frozen=True)
class Message:
    code: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: str = DEFAULT_LANGUAGE) -> str:
        return render(ENGINE, self.code, lang, self.args)

    def __str__(self) -> str:  # logs and API callers read English
        return self.text(DEFAULT_LANGUAGE)

    def to_dict(self) -> dict[str, Any]:
        """As stored: plain JSON, nested messages included."""
        return {"code": self.code, "args": {k: v.to_dict() if isinstance(v, Message) else v
                                            for k, v in self.args.items()}}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Message:
        return cls(d["code"], {k: cls.from_dict(v) if isinstance(v, dict) and "code" in v else v
                               for k, v in d.get("args", {}).items()})


def say(code: str, lang: str = DEFAULT_LANGUAGE, **args) -> str:
    """The engine's message `code` in `lang`, e.g. say("round.missing", "zh", round=3)."""
    return render(ENGINE, code, lang, args)


def field_name(key: str) -> Message:
    """A field as messages name it ("The brief", "Seed"): `what` in a refusal."""
    return Message(f"field.{key}")


def language_of(tag: str | None) -> str:
    """A browser's language tag or Accept-Language header ("zh-CN", "zh-TW,zh;q=0.9", "en-US") -> "zh" or "en"."""
    for part in (tag or "").split(","):
        primary = part.split(";")[0].strip().lower().split("-")[0]
        if primary in LANGUAGES:
            return primary
    return DEFAULT_LANGUAGE


def render(templates: Templates, code: str, lang: str, args: Mapping[str, Any]) -> str:
    """`code`'s template in `lang` (English where the language is unknown), its nested messages said alike."""
    language = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    said = {k: v.text(language) if isinstance(v, Message) else v for k, v in args.items()}
    return templates[code][language].format(**said)

