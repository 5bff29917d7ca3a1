from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tunewave.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restores an archive written by `backup`: checks every checksum, migrates, loads the rows and writes "
        "the media files into MEDIA_ROOT, then compares the row counts with the archive's. Refuses a database "
        "that holds data unless --force, which empties it first. See docs/operations.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="A .tar.gz written by `manage.py backup`.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace whatever the database holds (it is emptied first) and overwrite media files.",
        )

    def handle(self, *args, **options):
        archive = Path(options["archive"])
        if not archive.is_file():
            raise CommandError(f"{archive} is not a file.")
        try:
            summary = backup_restore(path=archive, force=options["force"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(summary.counts.values())
        self.stdout.write(f"Restored {rows} rows in {len(summary.counts)} tables and {summary.media_files} media files")
        for label, count in summary.counts.items():
            self.stdout.write(f"  {label}: {count}")
        for name in summary.replaced_media:
            self.stdout.write(f"  overwrote media file {name}")
