"""Querysets of the feedback app's roadmap part: counts and "is it mine" in the one query."""

from django.apps import apps
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone


def _count_of(model_name: str, fk: str) -> Coalesce:
    """The number of `model_name` rows pointing at the outer row, as a correlated subquery (one
    query for the whole list, no row multiplication when two counts are annotated)."""
    model = apps.get_model("feedback", model_name)
    rows = (
        model.objects.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def _mine(model_name: str, fk: str, user) -> Exists | Value:
    if not getattr(user, "is_authenticated", False):
        return Value(False)
    model = apps.get_model("feedback", model_name)
    return Exists(model.objects.filter(**{fk: OuterRef("pk"), "user": user}))


class RoadmapItemQuerySet(QuerySet):
    def with_counts(self, user) -> "RoadmapItemQuerySet":
        """Each item with `vote_count`, `comment_count` and `voted` (by `user`)."""
        return self.annotate(
            vote_count=_count_of("RoadmapVote", "item"),
            comment_count=_count_of("RoadmapComment", "item"),
            voted=_mine("RoadmapVote", "item", user),
        )


class OfficeHoursSessionQuerySet(QuerySet):
    def upcoming(self) -> "OfficeHoursSessionQuerySet":
        return self.filter(starts_at__gte=timezone.now()).order_by("starts_at")

    def past(self) -> "OfficeHoursSessionQuerySet":
        return self.filter(starts_at__lt=timezone.now()).order_by("-starts_at")

    def with_signups(self, user) -> "OfficeHoursSessionQuerySet":
        """Each session with its host, `signup_count` and `signed_up` (by `user`)."""
        return self.select_related("host").annotate(
            signup_count=_count_of("OfficeHoursSignup", "session"),
            signed_up=_mine("OfficeHoursSignup", "session", user),
        )
