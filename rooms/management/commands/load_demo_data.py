from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from music import demo
from rooms.demo import demo_rooms_create


class Command(BaseCommand):
    help = (
        "Loads the demo data: 324 tracks over 38 genres, each with a generated clip under "
        "MEDIA_ROOT/demo/, twelve demo users (alice@demo.tunewave ...) with favorites and "
        "listening histories of different tastes, and demo rooms that play them. "
        "Running it again adds and changes nothing (and rewrites no clip of the right size)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tracks", type=int, default=None, help="Load only the first N tracks (for tests).")
        parser.add_argument(
            "--no-audio",
            action="store_true",
            help="Skip writing the clips (the tracks still point at them; a later run without it writes them).",
        )

    def handle(self, *args, **options):
        if options["tracks"] is not None and options["tracks"] < 1:
            raise CommandError("--tracks must be at least 1.")
        verbose = options["verbosity"] >= 1
        summary = demo.demo_data_load(
            media_root=settings.MEDIA_ROOT,
            media_url=settings.MEDIA_URL,
            limit=options["tracks"],
            audio=not options["no_audio"],
            progress=self.stdout.write if verbose else lambda line: None,
        )
        # Lives in rooms (not music) because rooms sit above music in the app layers.
        summary.rooms_created = demo_rooms_create(users=summary.user_list, track_ids=summary.track_ids)
        self.stdout.write(
            f"Demo data: {summary.tracks} tracks over {summary.genres} genres, {summary.users} users "
            f"({summary.users_created} new), {summary.clips_written} clips written, "
            f"{summary.rooms_created} rooms created."
        )
