"""Text to index terms: one analyser shared by BM25 (postings) and the hashing embedder.

Lower-cases, splits CamelCase words (`CrashLoopBackOff` -> crash loop back off, keeping the
whole word too) and snake/kebab-case identifiers (`container_memory_working_set_bytes` keeps
the whole metric name plus its parts), drops English stop words and strips common suffixes
so "restarts", "restarting" and "restarted" meet. Deterministic: term ids are stable hashes.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/]*[A-Za-z0-9]|[A-Za-z0-9]")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_PARTS = re.compile(r"[_.\-/]+")

STOP_WORDS = frozenset(
    """a about above after again against all am an and any are aren as at be because been
    before being below between both but by can cannot could did do does doing don down during
    each few for from further had has have having he her here hers herself him himself his how
    i if in into is isn it its itself just let me more most my myself no nor not of off on once
    only or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until up
    very was we were what when where which while who whom why will with would you your yours
    yourself yourselves also get got getting keep keeps kept still really seems seem lot lots
    our us why what's i'm it's we're there's one two""".split()
)
# "no", "not", "down", "off", "out", "up" carry meaning in operations text ("out of memory",
# "back off", "scale up", "node down"): keep them.
STOP_WORDS = STOP_WORDS - {"no", "not", "down", "off", "out", "up", "over", "under"}


def stem(word: str) -> str:
    """A light, deterministic suffix stripper (plural, -ing, -ed, -ly, -ies, final -e)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    word = _strip_suffix(word)
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def _strip_suffix(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if word.endswith("ing") and len(word) > 5:
        word = word[:-3]
        return word[:-1] if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz" else word
    if word.endswith("ed") and len(word) > 4 and not word.endswith("eed"):
        word = word[:-2]
        return word[:-1] if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz" else word
    if word.endswith("ly") and len(word) > 5:
        return word[:-2]
    if word.endswith("es") and len(word) > 4 and word[-3] in "sxz":
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


@lru_cache(maxsize=200_000)
def _word_parts(raw: str) -> tuple[str, ...]:
    """The stemmed, non-stop-word parts of one raw word (CamelCase and _.-/ split)."""
    out: list[str] = []
    for piece in _PARTS.split(raw):
        for part in _CAMEL.split(piece):
            low = part.lower()
            if low and low not in STOP_WORDS:
                out.append(stem(low))
    return tuple(out)


@lru_cache(maxsize=200_000)
def _word_terms(raw: str) -> tuple[str, ...]:
    """All index terms of one raw word: its parts and, when it was split, the whole word."""
    parts = _word_parts(raw)
    if len(_PARTS.split(raw)) > 1 or len([c for c in _CAMEL.split(raw) if c]) > 1:
        whole = raw.lower()
        return parts + ((whole if any(ch in whole for ch in "_.-/") else stem(whole)),)
    return parts


def terms(text: str) -> list[str]:
    """The index terms of `text`, in order (duplicates kept: the caller counts them)."""
    out: list[str] = []
    for raw in _WORD.findall(text):
        out.extend(_word_terms(raw))
    return out


def words(text: str) -> list[str]:
    """Stemmed words without the whole-compound extras: the sequence used for phrases."""
    out: list[str] = []
    for raw in _WORD.findall(text):
        out.extend(_word_parts(raw))
    return out


@lru_cache(maxsize=200_000)
def term_id(term: str) -> int:
    """A stable signed 64-bit id for a term (same on every machine and Python run)."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=8).digest(), "little", signed=True)
