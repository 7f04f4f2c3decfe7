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


def error_text(exc: Exception, lang: str = "zh") -> str:
    """An error as a sentence in `lang`: its catalogue message `error.<key>` filled with its details
    (a `field` detail named by its `field.<name>` label), or its English message when it has no key."""
    key = getattr(exc, "key", "")
    message = str(getattr(exc, "message", exc))
    if not key or f"error.{key}" not in _CATALOGUES["zh"]:
        return message
    params = {k: _param(k, v, lang) for k, v in getattr(exc, "detail", {}).items()}
    try:
        return translate(f"error.{key}", lang).format(**params)
    except (KeyError, IndexError, ValueError):
        return message


def _param(name: str, value: object, lang: str) -> str:
    """A detail as words: `<name>.<value>` from the catalogue when registered (field.purpose -> 用途,
    state.granted -> 已同意), lists joined, anything else as text."""
    if isinstance(value, str) and f"{name}.{value}" in _CATALOGUES["zh"]:
        return translate(f"{name}.{value}", lang)
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value) if lang == "zh" else ", ".join(str(v) for v in value)
    return str(value)


register({
    "error.required": ("请填写“{field}”", "{field} is required"),
    "error.too_long": ("“{field}”不能超过 {max_len} 个字符", "{field} is longer than {max_len} characters"),
    "error.not_text": ("“{field}”必须是文本", "{field} must be text"),
    "error.bad_characters": ("“{field}”含有不允许的控制字符", "{field} contains control characters"),
    "error.not_list": ("“{field}”必须是列表", "{field} must be a list"),
    "error.too_many": ("“{field}”最多 {max_items} 项", "{field} has more than {max_items} entries"),
    "error.choice": ("“{field}”的取值无效", "{field} has a value that is not allowed"),
    "error.budget": ("预算必须是不小于 0 的数", "The budget must be a non-negative number"),
})
