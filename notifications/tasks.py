"""The task queue's recurring work (django-tasks, database backend; a worker runs `manage.py
db_worker`, which also sends each delivery: outbox.deliver): two chains that re-enqueue
themselves once started (`manage.py start_schedule`): the outbox sweep every SWEEP_MINUTES,
and the daily reminders at CHUNAN_REMINDER_HOUR, which the demo's worker runs (production
may run them from a systemd timer instead: README)."""

import datetime

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from notifications import outbox, reminders

SWEEP_MINUTES = 5


@task()
def sweep_outbox() -> int:
    swept = outbox.sweep()
    schedule(sweep_outbox, timezone.now() + datetime.timedelta(minutes=SWEEP_MINUTES))
    return swept


@task()
def daily_reminders() -> int:
    sent = reminders.send_reminders(timezone.localdate())
    schedule(daily_reminders, next_reminder_time(timezone.localtime()))
    return sent.messages


def next_reminder_time(now: datetime.datetime) -> datetime.datetime:
    """The next CHUNAN_REMINDER_HOUR o'clock (county time) after `now`."""
    at = now.replace(hour=settings.CHUNAN_REMINDER_HOUR, minute=0, second=0, microsecond=0)
    return at if at > now else at + datetime.timedelta(days=1)


def schedule(chain, when: datetime.datetime) -> bool:
    """Queue `chain` to run at `when` unless a run of it is already waiting; returns whether
    it queued one (starting the schedule twice keeps one chain of each)."""
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(task_path=chain.module_path, status="READY")
    if waiting.exists():
        return False
    chain.using(run_after=when).enqueue()
    return True
