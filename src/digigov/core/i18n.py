"""Chinese first, English available. Message catalogues live in one module per language."""

from __future__ import annotations

from collections.abc import Mapping

SUPPORTED = ("zh", "en")

_CATALOGUES: dict[str, dict[str, str]] = {"zh": {}, "en": {}}


def register(messages: Mapping[str, tuple[str, str]]) -> None:
    """Add messages as {key: (chinese, english)}; a capability registers its own at import time."""
    for key, (zh, en) in messages.items():
        _CATALOGUES["zh"][key] = zh
        _CATALOGUES["en"][key] = en


def translate(key: str, lang: str = "zh", **params: object) -> str:
    """The message for `key` in `lang`, falling back to Chinese, then to the key itself."""
    text = _CATALOGUES.get(lang, {}).get(key) or _CATALOGUES["zh"].get(key) or key
    return text.format(**params) if params else text


def pick_lang(requested: str | None, default: str = "zh") -> str:
    return requested if requested in SUPPORTED else default
