from django.core.management.base import BaseCommand
from django.utils import timezone

from notifications import tasks


class Command(BaseCommand):
    help = (
        "Queue the worker's recurring tasks unless they are queued already: the outbox sweep "
        "every few minutes, and with --reminders the daily reminders at CHUNAN_REMINDER_HOUR "
        "(run at once, then daily). Safe to run at every start."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reminders",
            action="store_true",
            help="Also run the daily reminders from the worker (the demo; production may "
            "use a systemd timer instead).",
        )

    def handle(self, *args, reminders=False, **options):
        now = timezone.now()
        queued = [tasks.sweep_outbox.name] if tasks.schedule(tasks.sweep_outbox, now) else []
        if reminders and tasks.schedule(tasks.daily_reminders, now):
            queued.append(tasks.daily_reminders.name)
        self.stdout.write(
            "start_schedule: queued "
            + (", ".join(queued) if queued else "nothing (already queued)")
        )
