"""Chinese text helpers for the catalogue: jieba tokenisation (分词), highlights and snippets.

jieba is imported and its dictionary loaded once, lazily, on first use; its log chatter is silenced.
The index side uses `cut_for_search` (a word plus its dictionary sub-words, so "营业执照" is found by
"执照"); the query side uses `lcut` (the most likely segmentation of what the user typed).
"""

from __future__ import annotations

import html
import logging
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

_LOCK = threading.Lock()
_JIEBA: Any = None

# Function words that carry no meaning on their own (stop words).
STOPWORDS = frozenset("的了和与及或在是等对之并其将把被为于以由从向个各有中上下")


def _jieba() -> Any:
    """The jieba module, initialised once (the dictionary load takes about a second)."""
    global _JIEBA
    if _JIEBA is None:
        with _LOCK:
            if _JIEBA is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                logging.getLogger("jieba").setLevel(logging.WARNING)
                jieba.initialize()
                _JIEBA = jieba
    return _JIEBA


def warm_up() -> None:
    """Load the segmenter now (a server calls this at start-up, so the first search is not slow)."""
    _jieba()


def _is_word(token: str) -> bool:
    """Whether a token holds at least one letter or digit (CJK ideographs count as letters)."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


def _normalise(text: str) -> str:
    """NFKC (full-width to half-width) and lower case, so 'ＡＰＰ' and 'app' are one token."""
    return unicodedata.normalize("NFKC", text).lower()


@lru_cache(maxsize=200_000)
def index_tokens(text: str) -> tuple[str, ...]:
    """Tokens of `text` for the search index: search-mode jieba cut, words only, lower case."""
    if not text:
        return ()
    tokens = _jieba().cut_for_search(_normalise(text))
    return tuple(t for t in (tok.strip() for tok in tokens) if t and _is_word(t) and t not in STOPWORDS)


def query_tokens(q: str, limit: int = 12) -> list[str]:
    """Distinct meaningful tokens of a user's query, in order (stop words dropped unless all are)."""
    if not q or not q.strip():
        return []
    raw = [t.strip() for t in _jieba().lcut(_normalise(q))]
    words = [t for t in raw if t and _is_word(t)]
    meaningful = [t for t in words if t not in STOPWORDS] or words
    out: list[str] = []
    for t in meaningful:
        if t not in out:
            out.append(t)
    return out[:limit]


def search_text(parts: Iterable[str]) -> str:
    """The indexed text of a resource: jieba tokens of each part, joined by single spaces."""
    tokens: list[str] = []
    for part in parts:
        if part:
            tokens.extend(index_tokens(part))
    return " ".join(tokens)


@lru_cache(maxsize=200_000)
def features(text: str) -> tuple[str, ...]:
    """Similarity features of a short text: jieba words ("w:") and character bigrams ("b:").

    Bigrams are taken over the letters and digits only, so punctuation and spacing do not matter;
    they catch the same words cut differently or written in another order.
    """
    norm = _normalise(text)
    words = [t for t in (w.strip() for w in _jieba().lcut(norm)) if t and _is_word(t) and t not in STOPWORDS]
    chars = [ch for ch in norm if unicodedata.category(ch)[0] in "LN" and ch not in STOPWORDS]
    bigrams = [chars[i] + chars[i + 1] for i in range(len(chars) - 1)]
    if len(chars) == 1:
        bigrams = chars
    return tuple(["w:" + w for w in words] + ["b:" + b for b in bigrams])


# ---------------------------------------------------------------- highlights


def _spans(text: str, tokens: Sequence[str]) -> list[tuple[int, int]]:
    """Merged (start, end) spans of every case-insensitive occurrence of any token in `text`."""
    if not text or not tokens:
        return []
    pattern = "|".join(re.escape(t) for t in sorted(set(tokens), key=len, reverse=True) if t)
    if not pattern:
        return []
    found = sorted((m.start(), m.end()) for m in re.finditer(pattern, text, flags=re.IGNORECASE))
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, tokens: Sequence[str]) -> str:
    """`text` HTML-escaped with each occurrence of a token wrapped in <mark>…</mark>."""
    out: list[str] = []
    pos = 0
    for start, end in _spans(text, tokens):
        out.append(html.escape(text[pos:start]))
        out.append("<mark>" + html.escape(text[start:end]) + "</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def hit_count(text: str, tokens: Sequence[str]) -> int:
    return len(_spans(text, tokens))


def snippet(candidates: Sequence[str], tokens: Sequence[str], width: int = 80) -> str:
    """About `width` characters of the best-matching candidate around its first hit, highlighted.

    Candidates are tried in order (description first, then functions); the one with most hits wins,
    the first on ties. With no hit anywhere, the start of the first non-empty candidate.
    """
    texts = [c for c in candidates if c]
    if not texts:
        return ""
    best = max(texts, key=lambda c: hit_count(c, tokens))
    spans = _spans(best, tokens)
    first = spans[0][0] if spans else 0
    start = max(0, min(first - width // 4, len(best) - width))
    end = min(len(best), start + width)
    body = highlight(best[start:end], tokens)
    return ("…" if start > 0 else "") + body + ("…" if end < len(best) else "")
