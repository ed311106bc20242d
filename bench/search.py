"""How search across sessions grows: stores of 1k, 10k and 50k candidates (synthetic English and Chinese text,
random unit vectors of the real scorer's width), the latency of a search by words and by image, index warm.

    python bench/search.py                      # 1,000, 10,000 and 50,000 candidates, 768-wide vectors (ViT-L/14)
    python bench/search.py --sizes 200 --queries 5

Every candidate belongs to one owner (the worst case: an owner filter narrows nothing), in sessions of
`--rounds` rounds of 4 candidates, written through `Store.save_session` as the studio writes them, so the index is
built by the same code that keeps it. Prints a table for people and, last, one JSON line.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio.core.critique import Critique  # noqa: E402
from studio.core.search import query_terms  # noqa: E402
from studio.core.session import Candidate, Feedback, FeedbackKind, Round, RoundStatus, Session  # noqa: E402
from studio.services.search import CandidateKey, SqliteSearch  # noqa: E402
from studio.services.sessions import Store  # noqa: E402

OWNER, MODEL, PER_ROUND = "bench", "bench/clip", 4
EN = ("jazz poster saxophone navy gold art deco lighthouse dusk harbour fox forest watercolour bold title "
      "trumpet neon city rain umbrella coffee cup morning light minimal swiss grid bauhaus circle red blue "
      "letterpress texture festival summer ticket concert vinyl record moon stars botanical leaf").split()
ZH = ("爵士 海报 萨克斯 藏青 金色 装饰 艺术 灯塔 黄昏 港口 狐狸 森林 水彩 标题 小号 霓虹 城市 雨伞 咖啡 早晨 "
      "极简 网格 圆形 红色 蓝色 纹理 音乐节 夏天 门票 音乐会 唱片 月亮 星星 植物 叶子").split()
QUERIES = {  # what a designer types: FTS5 for words of 3+ characters, LIKE for shorter ones (two-character Chinese)
    "words": ["saxophone", "navy gold", "lighthouse dusk", "watercolour", "bauhaus grid", "concert vinyl"],
    "chinese_4": ["爵士海报", "藏青金色", "灯塔黄昏", "极简网格"],
    "chinese_2": ["海报", "爵士", "灯塔", "水彩"],
}


def phrase(rng: random.Random, words: int) -> str:
    """English words with a Chinese phrase in one text of three: the mix a bilingual studio stores."""
    text = " ".join(rng.choice(EN) for _ in range(words))
    return text + "，" + "".join(rng.choice(ZH) for _ in range(3)) if rng.random() < 0.34 else text


def session(rng: random.Random, number: int, rounds: int) -> Session:
    sid = f"{number:032x}"
    made = tuple(Round(
        r, phrase(rng, 6), RoundStatus.DONE, prompt=phrase(rng, 14), rationale=phrase(rng, 8),
        candidates=tuple(Candidate(c, f"images/{sid}/r{r}-c{c}.png", 1000 * r + c, caption=phrase(rng, 8),
                                   critique=Critique(phrase(rng, 8), 50.0, 0.2, summary=phrase(rng, 10)))
                         for c in range(PER_ROUND))) for r in range(rounds))
    feedback = tuple(Feedback(r, FeedbackKind.REJECT, phrase(rng, 4), candidate=1) for r in range(rounds))
    return Session(sid, OWNER, phrase(rng, 4), phrase(rng, 20), "tiny", created=number, updated=number,
                   rounds=made, feedback=feedback)


def build(data_dir: Path, candidates: int, rounds: int, dim: int, seed: int) -> tuple[Store, float]:
    """A store of `candidates` candidates and their vectors; the seconds the session writes took (index kept)."""
    rng, vectors = random.Random(seed), np.random.default_rng(seed)
    store = Store(data_dir)
    search, written = SqliteSearch(store), 0.0
    for number in range(candidates // (rounds * PER_ROUND)):
        made = session(rng, number, rounds)
        started = time.perf_counter()
        store.save_session(made)
        written += time.perf_counter() - started
        keys = [CandidateKey(made.id, r.index, c.index, c.image) for r in made.rounds for c in r.candidates]
        units = vectors.standard_normal((len(keys), dim)).astype(np.float32)
        search.keep_vectors(keys, units / np.linalg.norm(units, axis=1, keepdims=True), MODEL)
    return store, written


def timed(fn, runs: list) -> list[float]:
    seconds = []
    for arg in runs:
        started = time.perf_counter()
        fn(arg)
        seconds.append(time.perf_counter() - started)
    return seconds


def figures(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {"median_ms": round(statistics.median(ordered) * 1000, 2),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000, 2)}


def measure(candidates: int, args) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        store, written = build(Path(folder) / "data", candidates, args.rounds, args.dim, args.seed)
        with store:
            search, rng = SqliteSearch(store), np.random.default_rng(args.seed + 1)
            sessions = candidates // (args.rounds * PER_ROUND)
            result = {"candidates": sessions * args.rounds * PER_ROUND, "sessions": sessions,
                      "write_session_ms": round(written / max(1, sessions) * 1000, 2)}
            for kind, queries in QUERIES.items():
                runs = [queries[i % len(queries)] for i in range(args.queries)]
                search.text(OWNER, query_terms(runs[0]), 24)  # warm: the index's pages in the cache
                result[f"text_{kind}"] = figures(timed(lambda q: search.text(OWNER, query_terms(q), 24), runs))
            probes = [v / np.linalg.norm(v) for v in rng.standard_normal((args.queries, args.dim)).astype(np.float32)]
            search.nearest(OWNER, MODEL, probes[0], 24)
            result["image"] = figures(timed(lambda v: search.nearest(OWNER, MODEL, v, 24), probes))
            # The first search after a vector was added reads the owner's vectors from the database again.
            result["image_cold"] = figures(timed(lambda v: SqliteSearch(store).nearest(OWNER, MODEL, v, 24),
                                                 probes[:max(3, args.queries // 4)]))
            # A search by image first asks which candidates still need a vector (none here).
            result["to_embed"] = figures(timed(lambda _: search.unembedded(OWNER, MODEL, 64), probes))
            _, matrix = search.vectors(OWNER, MODEL)
            result["image_numpy_only"] = figures(timed(lambda v: np.argpartition(-(matrix @ v), 24)[:24], probes))
            result["db_mb"] = round(store.db_path.stat().st_size / 2**20, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=10, help="rounds a session (4 candidates each)")
    parser.add_argument("--dim", type=int, default=768, help="the scorer's embedding width (768: ViT-L/14)")
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    rows = [measure(n, args) for n in args.sizes]
    kinds = ["text_words", "text_chinese_4", "text_chinese_2", "image", "image_cold", "to_embed", "image_numpy_only"]
    print(f"{'candidates':>10} {'db MB':>6} {'write ms':>8} " + " ".join(f"{k + ' med/p95 ms':>28}" for k in kinds))
    for row in rows:
        cells = " ".join(f"{row[k]['median_ms']:>16.2f} / {row[k]['p95_ms']:>9.2f}" for k in kinds)
        print(f"{row['candidates']:>10} {row['db_mb']:>6} {row['write_session_ms']:>8} {cells}")
    print(json.dumps({"dim": args.dim, "queries": args.queries, "sizes": rows}))


if __name__ == "__main__":
    main()
