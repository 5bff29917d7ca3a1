from django.core.management.base import BaseCommand

from rooms import services


class Command(BaseCommand):
    help = (
        "Removes expired invites, read notifications older than --notification-days, sent e-mails older "
        "than --email-days, abandoned OAuth state, stale presence and upload files no upload owns (a day old). "
        "--dry-run only counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report what would go, change nothing.")
        parser.add_argument("--notification-days", type=int, default=30)
        parser.add_argument("--email-days", type=int, default=7)

    def handle(self, *args, **options):
        counts = services.prune(
            notification_days=options["notification_days"],
            email_days=options["email_days"],
            dry_run=options["dry_run"],
        )
        verb = "would remove" if options["dry_run"] else "removed"
        for kind, count in counts.items():
            self.stdout.write(f"{kind.replace('_', ' ')}: {verb} {count}")
