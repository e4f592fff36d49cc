"""Ticket-based platform metrics: placeholder until the ticket audit lands; the integrator
replaces this file.

Every function answers "no data" (value None, sample size 0, empty list or dict) with the
signature the ticket audit will implement, so the metrics part works on its own.
"""

from datetime import date

from feedback.metrics.definitions import Metric

PLACEHOLDER = "placeholder until the ticket audit lands; the integrator replaces this file"


def support_tickets_per_month(start: date, end: date) -> Metric:
    """Tickets to the platform team per month: placeholder until the ticket audit lands; the
    integrator replaces this file."""
    definition = f"Support tickets to the platform team per month ({PLACEHOLDER})."
    return Metric(None, "tickets per month", definition, (start, end), 0)


def self_service_share(start: date, end: date) -> Metric:
    """Share of requests done through the portal rather than a ticket: placeholder until the
    ticket audit lands; the integrator replaces this file."""
    definition = (
        f"Share of platform requests made through the portal rather than a ticket ({PLACEHOLDER})."
    )
    return Metric(None, "share of requests", definition, (start, end), 0)


def tickets_below_the_line(start, end) -> list[tuple[str, int]]:
    """Ticket types keeping self-service below 80%, most first: placeholder until the ticket
    audit lands; the integrator replaces this file."""
    return []


def monthly_ticket_counts(start, end, teams: list[str] | None = None) -> dict[str, int]:
    """{"YYYY-MM": tickets}: placeholder until the ticket audit lands; the integrator replaces
    this file."""
    return {}
