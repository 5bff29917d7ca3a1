import sys
import time

from django.core.management.base import BaseCommand, CommandError

from recommendations import services


class Command(BaseCommand):
    help = (
        "Relearns recommendations from all listening history: track and user neighbours, popular and "
        "per-genre lists, room tastes. Celery beat runs the same job hourly; requests only read its results."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even if another recompute holds the lock.")

    def handle(self, *args, **options):
        if not services.recompute_lock() and not options["force"]:
            raise CommandError(
                "Another recompute is running (or died within the last 2 hours); use --force to run anyway."
            )
        self.verbosity = options["verbosity"]
        self.started = time.monotonic()
        self.last = ("", -1)
        try:
            build = services.recommendations_recompute(progress=self._progress)
        finally:
            services.recompute_unlock()
        if self._interactive():
            self.stdout.write("")
        figures = build.figures
        steps = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in figures.get("timings", {}).items())
        self.stdout.write(
            f"Learned from {build.interactions:,} (user, track) pairs of {build.users:,} users and {build.tracks:,} tracks "
            f"in {build.seconds:.1f}s ({steps}); peak memory {figures.get('peak_rss_mb', 0):.0f} MB; "
            f"{figures.get('model', {}).get('neighbors', 0):,} track neighbours, "
            f"{figures.get('user_neighbors', 0):,} user neighbours, {figures.get('room_tastes', 0):,} room tastes."
        )
        tuning = figures.get("tuning", {})
        if tuning.get("status") == "skipped":
            self.stdout.write(f"Item model: {tuning['chosen']['name']} (tuning skipped: {tuning.get('reason')}).")
        elif tuning:
            self.stdout.write(
                f"Item model: {tuning['chosen']['name']}, best of {len(tuning['candidates'])} tried in "
                f"{tuning.get('seconds', 0):.1f}s (evaluate_recommendations --last-build shows the table)."
            )

    def _interactive(self) -> bool:
        return self.stdout.isatty() if hasattr(self.stdout, "isatty") else sys.stdout.isatty()

    def _progress(self, step: str, fraction: float) -> None:
        if self.verbosity == 0:
            return
        percent = int(fraction * 100)
        # A line per step and per 10 %, or an updating line on a terminal.
        if (step, percent // 10) == (self.last[0], self.last[1] // 10) and not self._interactive():
            return
        if (step, percent) == self.last:
            return
        self.last = (step, percent)
        line = f"[{time.monotonic() - self.started:6.1f}s] {step}: {percent:3d}%"
        if self._interactive():
            self.stdout.write(f"\r{line:<60}", ending="")
            self.stdout.flush()
        else:
            self.stdout.write(line)
