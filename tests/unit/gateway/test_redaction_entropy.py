"""The entropy check beside the patterns: random tokens right after a secret word are
redacted (whatever their shape), names, ids and words after one are not."""

from __future__ import annotations

import random
import string

from aiops.redaction import Redactor
from aiops.redaction.entropy import high_entropy_spans, looks_random


def test_random_tokens_after_a_secret_word_are_redacted_whatever_their_alphabet():
    rng = random.Random(7)
    alphabets = {"alnum": string.ascii_letters + string.digits, "hex": "0123456789abcdef",
                 "password": string.ascii_letters + string.digits + "!#$%&*+?@^~"}
    for name, alphabet in alphabets.items():
        for length in (12, 16, 24, 40):
            tokens = ["".join(rng.choice(alphabet) for _ in range(length)) for _ in range(300)]
            found = sum(looks_random(t) for t in tokens) / len(tokens)
            if name == "hex" and length < 16:
                assert found == 0, (name, length, found)             # short hex: ids and hashes, kept
            else:
                assert found >= 0.95, (name, length, found)
    for word in ("api token", "Passwort", "contraseña nueva:", "private_key", "credentials"):
        text = f"rotated the {word} Zq8mV2pLx91Rw4Tb and restarted"
        assert Redactor().redact(text)[0] == f"rotated the {word} [REDACTED_HIGH_ENTROPY_SECRET_1] and restarted"


def test_only_the_words_just_after_a_secret_word_are_looked_at():
    token = "Zq8mV2pLx91Rw4Tb"
    assert high_entropy_spans(f"request {token} failed") == []                       # no secret word
    assert high_entropy_spans(f"token expired for request id 42 after retry; {token}") == []   # too far
    text = f"token: {token}"
    assert [text[a:b] for a, b in high_entropy_spans(text)] == [token]


def test_a_placeholder_is_never_redacted_again():
    redactor = Redactor()
    once = redactor.redact("password=Zq8mV2pLx91Rw4Tb then token Kx7pQ2mZr9Lw3Vb8")[0]
    assert once == "password=[REDACTED_SECRET_VALUE_1] then token [REDACTED_HIGH_ENTROPY_SECRET_1]"
    assert redactor.redact(once)[0] == once
