"""Random-looking tokens next to secret words: the shapes no pattern names.

`the new api token is 9fQ2xLr7TzW0pKv3Hs8d` or `passwort geändert: Zq8#mV2pLx91` carry a
secret without a `key=value` a pattern can anchor on. Like detect-secrets' entropy plugins,
a token counts when its Shannon entropy is high for its length and alphabet — but only
within a few words after a secret word (password, token, secret, key, ... in several
languages), so trace ids, hashes and pod names elsewhere in a log line stay readable.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from aiops.redaction.patterns import PASSWORD_WORDS

# the secret words, lower case, each also as a JSON escape when it is not ASCII
_WORDS = tuple(dict.fromkeys(
    ["password", "passwd", "passphrase", "pwd", "secret", "token", "api_key", "api-key", "apikey", "access_key",
     "access-key", "accesskey", "private_key", "private-key", "privatekey", "credential", "credentials"]
    + [w for word in PASSWORD_WORDS for w in (word, "".join(c if c.isascii() else f"\\u{ord(c):04x}" for c in word))]))
_TOKEN = re.compile(r"[^\s\"'`,;<>()\[\]{}|]+")
_WINDOW = 64          # characters after a secret word that are looked at
_WORDS_AFTER = 3      # and at most this many tokens
MIN_LENGTH = 12
MAX_LENGTH = 512
_PLACEHOLDER = re.compile(r"\[REDACTED_[A-Z0-9_]+?_\d+\]")
_HEX = re.compile(r"[0-9a-fA-F-]+")
_NAME = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)+")      # pod and host names, UUIDs, versions: not keys


def shannon_entropy(text: str) -> float:
    """Bits per character."""
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values()) if n else 0.0


def looks_random(token: str) -> bool:
    """A token whose letters, digits and symbols look drawn at random (a key, a password)."""
    if not MIN_LENGTH <= len(token) <= MAX_LENGTH or "[REDACTED_" in token or "://" in token:
        return False
    classes = sum((any(c.islower() for c in token), any(c.isupper() for c in token),
                   any(c.isdigit() for c in token), any(not c.isalnum() for c in token)))
    if classes < 2 or token.isdigit() or _NAME.fullmatch(token):
        return False
    if not any(c.isdigit() for c in token):
        letters = [c for c in token if c.isalpha()]
        flips = sum(a.isupper() != b.isupper() for a, b in zip(letters, letters[1:]))
        if flips < len(letters) / 4:
            return False            # words: checkout-service, ContainerTokenIdentifier, Hello_World
    if _HEX.fullmatch(token):           # hex: short ones are ids and hashes; long ones have less entropy
        return len(token) >= 16 and shannon_entropy(token) >= 2.8
    limit = 0.82 * math.log2(min(len(token), 64))
    return shannon_entropy(token) >= limit


def _word_ends(text: str) -> list[int]:
    """Where each secret word ends (a word, not the start of a longer one: `tokens` is not
    `token`); str.find per word, far faster than one case-insensitive regex over the text."""
    low = text.lower()
    if len(low) != len(text):            # a letter whose lower case is longer: offsets would drift
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    ends = set()
    for word in _WORDS:
        i = low.find(word)
        while i >= 0:
            j = i + len(word)
            if j >= len(low) or not ("a" <= low[j] <= "z"):
                ends.add(j)
            i = low.find(word, i + 1)
    return sorted(ends)


def high_entropy_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every random-looking token within a few words after a secret word."""
    if not text:
        return []
    taken = [m.span() for m in _PLACEHOLDER.finditer(text)] if "[REDACTED_" in text else []
    spans: list[tuple[int, int]] = []
    for end in _word_ends(text):
        if spans and end < spans[-1][1] or any(a < end <= b for a, b in taken):
            continue                      # inside a found token, or a placeholder's own word
        for i, token in enumerate(_TOKEN.finditer(text, end, min(len(text), end + _WINDOW))):
            if i >= _WORDS_AFTER:
                break
            start, stop = token.span()
            while start < stop and text[start] in ":=#-":
                start += 1
            while stop > start and text[stop - 1] in ".:":
                stop -= 1
            if any(a < stop and start < b for a, b in taken):
                continue
            if looks_random(text[start:stop]) and (not spans or start >= spans[-1][1]):
                spans.append((start, stop))
    return spans
