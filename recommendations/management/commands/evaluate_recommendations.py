import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from music.importers import FileFormatError
from recommendations import evaluation, served, services, tastes
from recommendations.models import ModelBuild


class Command(BaseCommand):
    help = (
        "Offline evaluation on a listening-history CSV (the format of import_listening_history): holds out "
        "a random 20% of the tracks of each user with at least 5, trains on the rest with the production "
        "model builder, and prints Recall@k, NDCG@k and catalog coverage for TuneWave (today's defaults, and "
        "as the precompute's self-tuning picks it on the training part alone) beside popularity, item cosine, "
        "RP3beta, EASE and ALS. With --last-build, prints what the last precompute's tuning measured."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interactions", metavar="FILE", help="The CSV file.")
        parser.add_argument(
            "--last-build", action="store_true", help="Print the last finished precompute's tuning record."
        )
        parser.add_argument(
            "--ease-max-items",
            type=int,
            default=evaluation.EASE_MAX_ITEMS,
            help=f"Skip EASE above this many items (default {evaluation.EASE_MAX_ITEMS:,}).",
        )
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
        if options["last_build"]:
            self._print_last_build()
            if not options["interactions"]:
                return
        if not options["interactions"]:
            raise CommandError("Give --interactions FILE (or --last-build).")
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
        tuned: list[evaluation.Tuned] = []

        def tuned_system(name: str, blends):
            # Tuned on the training part only (its own most-recent hold-out): the test part stays unseen.
            result = evaluation.tune(
                split.train,
                split.train_age,
                data.catalog,
                candidates=services.tuning_candidates(),
                blends=blends,
                seed_params=tastes.SEED_PARAMS,
                settings=services.TUNING,
            )
            tuned.append(result)
            return evaluation.tunewave_system(
                data,
                split,
                k,
                candidate=result.candidate,
                blend_params=result.blend,
                seed_params=tastes.SEED_PARAMS,
                name=name,
            )

        for name, run in (
            ("popularity", lambda: evaluation.popularity_system(split, k)),
            ("item cosine", lambda: evaluation.cosine_system(split, k)),
            ("RP3beta", lambda: evaluation.rp3beta_system(split, k)),
            ("EASE", lambda: evaluation.ease_system(split, k, max_items=options["ease_max_items"])),
            ("ALS", lambda: evaluation.als_system(split, k, seed=options["seed"])),
            (
                "TuneWave",
                lambda: evaluation.tunewave_system(
                    data,
                    split,
                    k,
                    model_params=services.ITEM_MODEL,
                    blend_params=served.DEFAULT_BLEND,
                    seed_params=tastes.SEED_PARAMS,
                ),
            ),
            # As the precompute tunes: item models with the default blend, then blends on the best.
            ("TuneWave tuned", lambda: tuned_system("TuneWave tuned", services.TUNING_BLENDS)),
        ):
            self.stdout.write(f"[{time.monotonic() - started:6.1f}s] training and scoring {name}...")
            result = run()
            if result is None:
                self.stdout.write(f"{name} skipped: {items:,} items is more than --ease-max-items.")
                continue
            results.append(result)
        self.stdout.write("")
        self.stdout.write(evaluation.format_table(results, k))
        for result in tuned:
            self.stdout.write("")
            self.stdout.write(
                "Self-tuning on the training part (its most recent items held out), as the precompute tunes:"
            )
            self.stdout.write(evaluation.format_tuning(result.record))

    def _print_last_build(self) -> None:
        build = ModelBuild.objects.filter(status=ModelBuild.Status.DONE).order_by("-started_at", "-pk").first()
        if build is None:
            self.stdout.write("No finished precompute yet.")
            return
        self.stdout.write(f"Tuning of the {build}:")
        self.stdout.write(evaluation.format_tuning(build.figures.get("tuning", {})))
