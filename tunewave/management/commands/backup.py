from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tunewave.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Writes the database (every row, portable between SQLite and PostgreSQL) and MEDIA_ROOT into one "
        "tar.gz with a manifest of counts and checksums. DESTINATION is the file, or a directory for a "
        "dated file. See docs/operations.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("destination", help="Archive file to write, or an existing directory.")

    def handle(self, *args, **options):
        try:
            summary = backup_create(destination=Path(options["destination"]))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(summary.counts.values())
        self.stdout.write(
            f"{summary.path}: {rows} rows in {len(summary.counts)} tables, {summary.media_files} media files"
        )
        for label, count in summary.counts.items():
            self.stdout.write(f"  {label}: {count}")
