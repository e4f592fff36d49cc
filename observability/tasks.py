"""Celery tasks: thin wrappers around services."""

from celery import shared_task

from observability import services


@shared_task
def refresh_coverage() -> int:
    """Beat: read the GitOps repository and the stack, store every service's five signals."""
    return services.refresh_coverage().services
