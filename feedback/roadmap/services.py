"""Every write of the feedback app's roadmap part, each one audited. Views check the policy
(`catalog.access`) before calling these."""

from datetime import time

from django.db import IntegrityError, transaction
from django.utils import timezone

from feedback.roadmap import planning
from feedback.roadmap.choices import FrictionStatus
from feedback.roadmap.models import (
    FrictionReport,
    OfficeHoursSession,
    OfficeHoursSignup,
    RoadmapComment,
    RoadmapItem,
    RoadmapVote,
)
from idp_portal import audit


def set_vote(user, item: RoadmapItem, wanted: bool) -> bool:
    """Make `user`'s vote for `item` exist (`wanted`) or not; True when that changed anything.
    Asking for the state it is already in (a double click, a resubmitted form) is a no-op."""
    if wanted:
        try:
            with transaction.atomic():
                _, created = RoadmapVote.objects.get_or_create(item=item, user=user)
        except IntegrityError:  # a concurrent request cast the same vote first
            created = False
        changed = created
    else:
        changed = RoadmapVote.objects.filter(item=item, user=user).delete()[0] > 0
    if changed:
        detail = "upvoted" if wanted else "removed their vote"
        audit.record(user, "roadmap.vote", item, detail=detail, after={"voted": wanted})
    return changed


def add_comment(user, item: RoadmapItem, text: str) -> RoadmapComment:
    comment = RoadmapComment.objects.create(item=item, user=user, text=text)
    audit.record(user, "roadmap.comment", item, detail=text[:200])
    return comment


def report_friction(user, *, page: str, trying_to: str, what_happened: str) -> FrictionReport:
    report = FrictionReport.objects.create(
        user=user, page=page, trying_to=trying_to, what_happened=what_happened
    )
    audit.record(user, "friction.report", report, after={"page": page})
    return report


def triage_friction(
    user, report: FrictionReport, status: str, roadmap_item: RoadmapItem | None
) -> bool:
    """Set the report's status and roadmap item; linking an item marks it "linked" unless a
    closed status was chosen. True when anything changed."""
    if roadmap_item is not None and status in (FrictionStatus.NEW, FrictionStatus.TRIAGED):
        status = FrictionStatus.LINKED
    before = {"status": report.status, "roadmap_item": report.roadmap_item_id}
    after = {"status": status, "roadmap_item": roadmap_item.pk if roadmap_item else None}
    if before == after:
        return False
    report.status, report.roadmap_item = status, roadmap_item
    report.save(update_fields=["status", "roadmap_item", "updated_at"])
    audit.record(user, "friction.triage", report, before=before, after=after)
    return True


def sign_up(user, session: OfficeHoursSession, topic: str) -> tuple[OfficeHoursSignup, bool]:
    """Sign `user` up for `session`; a second sign-up keeps the first (and its topic)."""
    try:
        with transaction.atomic():
            signup, created = OfficeHoursSignup.objects.get_or_create(
                session=session, user=user, defaults={"topic": topic}
            )
    except IntegrityError:  # a concurrent request signed them up first
        return OfficeHoursSignup.objects.get(session=session, user=user), False
    if created:
        audit.record(user, "office_hours.sign_up", session, detail=topic[:200])
    return signup, created


def cancel_sign_up(user, session: OfficeHoursSession) -> bool:
    removed = OfficeHoursSignup.objects.filter(session=session, user=user).delete()[0] > 0
    if removed:
        audit.record(user, "office_hours.sign_up", session, detail="cancelled their sign-up")
    return removed


def schedule_monthly_sessions(
    user,
    *,
    weekday: int,
    week: int,
    at: time,
    duration_minutes: int,
    where: str,
    host=None,
    months: int = 3,
) -> list[OfficeHoursSession]:
    """Create this month's and the next months' sessions on the given weekday of the given week
    of the month; a session already at that time is left alone."""
    zone = timezone.get_current_timezone()
    today = timezone.localdate()
    made = []
    for naive in planning.monthly_occurrences(weekday, week, at, today, months):
        starts_at = timezone.make_aware(naive, zone)
        if (
            starts_at < timezone.now()
            or OfficeHoursSession.objects.filter(starts_at=starts_at).exists()
        ):
            continue
        session = OfficeHoursSession.objects.create(
            starts_at=starts_at, duration_minutes=duration_minutes, where=where, host=host
        )
        audit.record(user, "admin.add", session, detail="scheduled as a monthly session")
        made.append(session)
    return made


def survey_themes(cycle) -> list:
    """A cycle's themes with their roadmap items, most mentioned first (one query)."""
    from feedback.roadmap.models import SurveyTheme

    return list(SurveyTheme.objects.filter(cycle=cycle).select_related("roadmap_item"))
