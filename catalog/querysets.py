"""Row scoping for catalog models."""

from django.db import models

from catalog.choices import TeamRole

# The columns a catalog list row shows (templates/catalog/service_list.html), with the owner's
# and system's link and name.
LIST_COLUMNS = (
    *("namespace", "name", "description", "owner_ref", "system_ref", "type", "lifecycle", "tier"),
    *(
        f"{related}__{column}"
        for related in ("owner", "system")
        for column in ("namespace", "name", "title")
    ),
)


class TeamQuerySet(models.QuerySet):
    def of_member(self, user) -> "TeamQuerySet":
        """Teams the user belongs to, in any role."""
        return self.filter(memberships__user=user)

    def led_by(self, user) -> "TeamQuerySet":
        return self.filter(memberships__user=user, memberships__role=TeamRole.LEAD)


class ComponentQuerySet(models.QuerySet):
    def owned_by_teams_of(self, user) -> "ComponentQuerySet":
        """Components owned by any team the user belongs to."""
        return self.filter(owner__memberships__user=user)

    def for_list(self) -> "ComponentQuerySet":
        """What a list row shows and no more, in one query whatever the page size: its owner's
        and system's names and links, not their whole rows (labels, annotations, …), which
        decoding cost more than the page's SQL. Tags come separately: `with_tag_names`."""
        return self.select_related("owner", "system").only(*LIST_COLUMNS)


def with_tag_names(rows: list) -> list:
    """Each row's tag names as `row.tag_names` (in name order), read in one query as plain
    names: a list row shows no more of a tag, and a manager and a model per tag per row cost
    more than the query."""
    from catalog.models import Component
    from catalog.pagination import id_values

    names: dict[int, list[str]] = {row.pk: [] for row in rows}
    through = Component.tags.through.objects.filter(component_id__in=id_values(list(names)))
    for component_id, name in through.order_by("tag__name").values_list(
        "component_id", "tag__name"
    ):
        names[component_id].append(name)
    for row in rows:
        row.tag_names = names[row.pk]
    return rows


def memberships_of(request) -> list:
    """The signed-in user's team memberships, read once per request and shared by all callers."""
    from catalog.access import memberships

    user = getattr(request, "user", None)
    return memberships(user) if user is not None else []
