"""Tries recommender settings on a synthetic CSV with the protocol of evaluate_recommendations.

    .venv/bin/python bench/tune_recommendations.py [--csv FILE] [--k 10] [--seed 0] [--grid NAME]
        [--baselines] [--self-tune]

The CSV defaults to the one bench/make_interactions.py writes with its defaults. The file is
parsed once and kept as a pickle beside it. Each line printed is one setting: the item model
and blend parameters that differ from the defaults, then Recall@k, NDCG@k and coverage.
`--baselines` adds popularity, cosine, RP3beta, EASE and ALS; `--self-tune` runs the
precompute's self-tuning (`evaluation.tune`, its settings from services.TUNING) on the training
part, prints its table, its seconds and peak memory, and scores the chosen model on the test part.
"""

import argparse
import os
import pickle
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tunewave.settings")

import django  # noqa: E402

django.setup()

from recommendations import engine, evaluation, services  # noqa: E402

GRIDS = {
    "model": [
        {},
        {"shrink": 0.0},
        {"shrink": 50.0},
        {"alpha": 0.3},
        {"alpha": 0.7},
        {"pop_penalty": 0.2},
        {"pop_penalty": 0.4},
        {"user_power": 0.0},
        {"user_power": 1.0},
        {"k1": 0.0},
        {"neighbors": 50},
        {"neighbors": 200},
    ],
    "blend": [
        {"genre": 0.0, "artist": 0.0, "popularity": 0.0},
        {"genre": 0.1},
        {"artist": 0.0},
        {"artist": 0.3},
        {"popularity": 0.1},
    ],
    "seed": [{"half_life_days": 10_000.0, "floor": 1.0}, {"floor": 0.0}, {"half_life_days": 180.0}],
    # Combinations: "m." item model, "b." blend, "s." seed parameters.
    "combo": [
        {"m.alpha": 0.7, "b.artist": 0.3},
        {"m.alpha": 0.7, "b.artist": 0.3, "m.shrink": 20.0},
        {"m.alpha": 0.8, "b.artist": 0.3},
        {"m.alpha": 0.7, "b.artist": 0.3, "b.genre": 0.1},
        {"m.alpha": 0.7, "b.artist": 0.3, "m.pop_penalty": 0.1},
        {"m.alpha": 0.7, "b.artist": 0.3, "m.user_power": 0.7},
    ],
}


def load(path: Path) -> evaluation.Interactions:
    cache = path.with_suffix(".pickle")
    if cache.exists() and cache.stat().st_mtime > path.stat().st_mtime:
        with open(cache, "rb") as f:
            return pickle.load(f)  # noqa: S301 - our own file, written just below
    data = evaluation.load_csv(path)
    with open(cache, "wb") as f:
        pickle.dump(data, f)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", type=Path, default=Path("/tmp/tunewave_bench/interactions_20000x50000_s0.csv"))
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--grid", choices=sorted(GRIDS), action="append")
    parser.add_argument("--baselines", action="store_true")
    parser.add_argument("--self-tune", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    data = load(args.csv)
    data_split = evaluation.split(data, seed=args.seed)
    print(
        f"{data.plays.shape[0]:,} users, {data.plays.shape[1]:,} items, {data.plays.nnz:,} pairs, "
        f"{data_split.test_users.size:,} test users (loaded in {time.perf_counter() - started:.1f}s)"
    )
    results: list = []
    if args.baselines:
        results = [
            evaluation.popularity_system(data_split, args.k),
            evaluation.cosine_system(data_split, args.k),
            evaluation.rp3beta_system(data_split, args.k),
            evaluation.ease_system(data_split, args.k),
            evaluation.als_system(data_split, args.k),
            evaluation.tunewave_system(data, data_split, args.k),
        ]
        print(evaluation.format_table([r for r in results if r is not None], args.k), flush=True)
    if args.self_tune:
        tune_started = time.perf_counter()
        tuned = evaluation.tune(data_split.train, data_split.train_age, data.catalog, settings=services.TUNING)
        seconds = time.perf_counter() - tune_started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(evaluation.format_tuning(tuned.record))
        print(f"self-tuning took {seconds:.1f}s; peak RSS of this process {peak:.0f} MB")
        r = evaluation.tunewave_system(
            data, data_split, args.k, candidate=tuned.candidate, blend_params=tuned.blend, name="TuneWave tuned"
        )
        # Beside the baselines (when run) so "vs pop" has its reference.
        print(evaluation.format_table([*[x for x in results if x is not None], r], args.k), flush=True)
    for grid in args.grid or []:
        for change in GRIDS[grid]:
            model, blend, seed = engine.ItemModelParams(), engine.BlendParams(), engine.SeedParams()
            prefix = {"model": "m.", "blend": "b.", "seed": "s."}.get(grid, "")
            change = {f"{prefix}{key}": value for key, value in change.items()}
            model = replace(model, **{k[2:]: v for k, v in change.items() if k.startswith("m.")})
            blend = replace(blend, **{k[2:]: v for k, v in change.items() if k.startswith("b.")})
            seed = replace(seed, **{k[2:]: v for k, v in change.items() if k.startswith("s.")})
            r = evaluation.tunewave_system(
                data, data_split, args.k, model_params=model, blend_params=blend, seed_params=seed
            )
            print(
                f"{grid:>5} {str(change):<60} R {r.recall:.4f}  NDCG {r.ndcg:.4f}  cov {r.coverage:.3f}  {r.seconds:.0f}s",
                flush=True,
            )


if __name__ == "__main__":
    main()
