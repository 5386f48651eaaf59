"""Telling people what is due: each user's inbox (站内消息), e-mail and text messages sent
from a task queue outside the request, the daily reminders, and the per-kind preferences.

The apps say what happened (`notifications.notify`, inside the transaction of the event) and
what is due (a reminder provider registered from their AppConfig.ready(), as for the to-do
list); this app writes the messages, keeps the outbox and sends it. It sits above the floor
and below the apps: it imports no app.
"""
