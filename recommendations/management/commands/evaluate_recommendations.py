import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from music.importers import FileFormatError
from recommendations import evaluation, profiles, selectors, services


class Command(BaseCommand):
    help = (
        "Offline evaluation on a listening-history CSV (the format of import_listening_history): holds out "
        "a random 20% of the tracks of each user with at least 5, trains on the rest with the production "
        "model builder, and prints Recall@k, NDCG@k and catalog coverage for TuneWave, a popularity "
        "baseline and a plain item-to-item cosine baseline."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interactions", required=True, metavar="FILE", help="The CSV file.")
        parser.add_argument("--k", type=int, default=10, help="List length (default 10).")
        parser.add_argument("--seed", type=int, default=0, help="Random seed of the split (default 0).")
        parser.add_argument("--holdout", type=float, default=0.2, help="Share of each user's tracks held out.")
        parser.add_argument("--min-items", type=int, default=5, help="Users with fewer tracks are not tested.")
        parser.add_argument(
            "--max-test-users",
            type=int,
            default=0,
            help="Test only this many users (a random sample; 0 = all), for large files.",
        )

    def handle(self, *args, **options):
        path = Path(options["interactions"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        k = options["k"]
        if k < 1:
            raise CommandError("--k must be at least 1.")
        if not 0 < options["holdout"] < 1:
            raise CommandError("--holdout must be between 0 and 1.")
        started = time.monotonic()
        last = [-1]

        def progress(fraction: float) -> None:
            if int(fraction * 10) > last[0]:
                last[0] = int(fraction * 10)
                self.stdout.write(f"[{time.monotonic() - started:6.1f}s] reading {path.name}: {fraction:4.0%}")

        try:
            data = evaluation.load_csv(path, on_progress=progress)
        except FileFormatError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        users, items = data.plays.shape
        if not users or not items:
            raise CommandError(f"{path}: no usable rows.")
        split = evaluation.split(
            data,
            seed=options["seed"],
            fraction=options["holdout"],
            min_items=options["min_items"],
            max_test_users=options["max_test_users"],
        )
        self.stdout.write(
            f"{users:,} users, {items:,} tracks, {data.plays.nnz:,} (user, track) pairs"
            + (f", {data.bad_rows:,} bad rows skipped" if data.bad_rows else "")
            + f"; testing {split.test_users.size:,} users on {split.test.nnz:,} held-out pairs (seed {options['seed']})."
        )
        if not split.test_users.size:
            raise CommandError(f"No user has {options['min_items']} or more tracks to hold some out.")
        results = []
        for name, run in (
            ("popularity", lambda: evaluation.popularity_system(split, k)),
            ("item cosine", lambda: evaluation.cosine_system(split, k)),
            (
                "TuneWave",
                lambda: evaluation.tunewave_system(
                    data,
                    split,
                    k,
                    model_params=services.ITEM_MODEL,
                    blend_params=selectors.BLEND,
                    seed_params=profiles.SEED_PARAMS,
                ),
            ),
        ):
            self.stdout.write(f"[{time.monotonic() - started:6.1f}s] training and scoring {name}...")
            results.append(run())
        self.stdout.write("")
        self.stdout.write(evaluation.format_table(results, k))
