import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from notifications.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "Send the day's reminders (returns due and overdue, terms, declarations, scoring), the "
        "daily digests, and put lost outbox messages back on the queue. Idempotent: each "
        "reminder reaches each person once, however often it runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", help="The day to remind for (YYYY-MM-DD); default today, county time."
        )

    def handle(self, *args, date=None, **options):
        try:
            today = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError as error:
            raise CommandError(f"--date: {error}") from error
        sent = send_reminders(today)
        for kind, count in sorted(sent.by_kind.items()):
            self.stdout.write(f"  {kind}: {count}")
        self.stdout.write(
            f"send_reminders {today}: {sent.messages} messages, {sent.digests} digests, "
            f"{sent.swept} outbox messages put back on the queue"
        )
