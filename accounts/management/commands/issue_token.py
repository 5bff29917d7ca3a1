from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from accounts import services


class Command(BaseCommand):
    help = "Prints one access token per line, in the order the e-mails are given (for scripts and WebSocket clients)."

    def add_arguments(self, parser):
        parser.add_argument("emails", nargs="+", metavar="EMAIL")
        parser.add_argument("--create", action="store_true", help="Create users that do not exist yet.")

    def handle(self, *args, **options):
        emails, create = options["emails"], options["create"]
        users = []
        for email in emails:
            try:
                validate_email(email)
            except ValidationError as exc:
                raise CommandError(f"{email}: not a valid e-mail address.") from exc
            # Look everyone up first, so a typo prints no tokens at all rather than some.
            user, _ = services.user_get_or_create(email=email, create=False)
            if user is not None and not user.is_active:
                raise CommandError(f"{email}: the account is deactivated.")
            if user is None and not create:
                raise CommandError(f"{email}: no such user (use --create to create it).")
            users.append((email, user))
        for email, user in users:
            if user is None:
                user, _ = services.user_get_or_create(email=email)
            self.stdout.write(services.tokens_issue(user=user)["access"])
