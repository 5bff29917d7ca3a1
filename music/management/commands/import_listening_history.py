import time
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import DatabaseError

from accounts.services import user_get_or_create
from music import importers
from music.models import ListeningEvent


class Command(BaseCommand):
    help = (
        "Imports listening history. With --user EMAIL: files of that user's Spotify privacy export "
        "(StreamingHistory_music_*.json or Streaming_History_Audio_*.json). Without: CSV files for many "
        f"users with the header {','.join(importers.CSV_HEADER)} (artists and genres separated by |). "
        "Bad rows are reported on stderr and skipped; importing a file again adds nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--user", metavar="EMAIL", help="The account a Spotify export belongs to.")
        parser.add_argument("--create-user", action="store_true", help="Create the --user account if missing.")
        parser.add_argument("--batch-size", type=int, default=5000, help="Rows per transaction (default 5000).")
        parser.add_argument(
            "--min-ms",
            type=int,
            default=importers.MIN_MS_PLAYED,
            help="Spotify plays shorter than this are skips, not listens (default 30000).",
        )
        parser.add_argument(
            "--max-errors-shown", type=int, default=1000, help="Bad rows listed on stderr; the rest are counted."
        )

    def handle(self, *args, **options):
        paths = [Path(name) for name in options["files"]]
        for path in paths:
            if not path.is_file():
                raise CommandError(f"{path}: no such file.")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        user = self._user(options["user"], create=options["create_user"]) if options["user"] else None
        self.max_errors, self.shown_errors = options["max_errors_shown"], 0
        self.verbosity = options["verbosity"]

        importer = importers.HistoryImporter(batch_size=options["batch_size"], on_problem=self._problem)
        if user is not None:
            importer.remember_user(user.email, user.pk)
        before = ListeningEvent.objects.count()
        started = time.monotonic()
        failed = 0
        for path in paths:
            try:
                reader = self._reader(path, user=user, min_ms=options["min_ms"])
            except importers.FileFormatError as exc:
                self.stderr.write(f"{path}: {exc}")
                failed += 1
                continue
            self.path = path
            importer.on_batch = self._progress(path, reader, started, importer.stats.rows)
            try:
                importer.import_rows(reader)
            except importers.FileFormatError as exc:
                self.stderr.write(f"{path}: {exc}")
                failed += 1
            except DatabaseError as exc:
                raise CommandError(
                    f"{path}: a batch failed and was rolled back ({exc}). The batches before it are stored; "
                    "importing the file again is safe."
                ) from exc

        stats = importer.stats
        added = ListeningEvent.objects.count() - before
        elapsed = time.monotonic() - started
        shown = f" (first {self.max_errors} listed above)" if stats.bad > self.max_errors else ""
        self.stdout.write(
            f"Imported {stats.rows:,} rows in {elapsed:.1f} s: {added:,} listening events added "
            f"({stats.rows - added:,} were already there), {stats.tracks_created:,} tracks and "
            f"{stats.users_created:,} users created; {stats.bad:,} bad rows skipped{shown}, "
            f"{stats.skipped:,} plays skipped (podcasts, plays under {options['min_ms'] // 1000} s)."
        )
        if failed:
            raise CommandError(f"{failed} of {len(paths)} files could not be read.")

    def _user(self, email: str, *, create: bool):
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"{email}: not a valid e-mail address.") from exc
        user, _ = user_get_or_create(email=email, create=create)
        if user is None:
            raise CommandError(f"{email}: no such user (use --create-user to create it).")
        return user

    def _reader(self, path: Path, *, user, min_ms: int):
        kind = importers.detect_format(path)
        if kind == "json":
            if user is None:
                raise importers.FileFormatError("a Spotify export (JSON) needs --user EMAIL")
            return importers.SpotifyExportReader(path, user=user.email, min_ms=min_ms)
        if user is not None:
            raise importers.FileFormatError("a CSV names its users in its user column; drop --user")
        return importers.CsvHistoryReader(path)

    def _problem(self, problem: importers.Problem) -> None:
        self.shown_errors += 1
        if self.shown_errors <= self.max_errors:
            self.stderr.write(f"{self.path}: line {problem.line}: {problem.message}")

    def _progress(self, path: Path, reader, started: float, rows_before: int):
        def report(stats: importers.ImportStats) -> None:
            if self.verbosity < 1:
                return
            rate = stats.rows / max(time.monotonic() - started, 1e-6)
            self.stdout.write(
                f"{path.name}: {reader.fraction:.0%}, rows {stats.rows - rows_before:,} "
                f"({rate:,.0f} rows/s, {stats.bad:,} bad)"
            )

        return report
