"""Periodic work of the survey part."""

from celery import shared_task

from feedback.survey import services


@shared_task
def open_and_close_cycles() -> str:
    """Open cycles whose time has come and close (anonymise) those past their end."""
    opened = services.open_due_cycles()
    closed = services.close_due_cycles()
    return f"opened {len(opened)}, closed {len(closed)}"
