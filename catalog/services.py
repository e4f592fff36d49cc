"""Every write to the catalog goes through here; other apps call these, never the models.

tests/catalog/test_write_boundary.py keeps it so: it fails when a module outside catalog/
creates, changes or deletes a catalog row itself.
"""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from catalog import versioning
from catalog.backstage.refs import DEFAULT_NAMESPACE
from catalog.choices import TeamRole
from catalog.models import Component, Tag, Team, TeamMembership

# What register_component may set besides the owner and tags; search_text is derived, never
# given, and relations to other entities (system, subcomponent_of) come with their references
# through the import.
COMPONENT_FIELDS = frozenset(
    {
        "title",
        "description",
        "type",
        "lifecycle",
        "tier",
        "language",
        "repository_url",
        "labels",
        "annotations",
    }
)


def ensure_team(name: str, title: str, description: str = "", contact_channel: str = "") -> Team:
    """Create the team or bring its fields up to date; running it twice changes nothing."""
    team, _ = Team.objects.update_or_create(
        namespace="default",
        name=name,
        defaults={"title": title, "description": description, "contact_channel": contact_channel},
    )
    return team


def ensure_membership(team: Team, user: AbstractBaseUser, role: str = TeamRole.MEMBER) -> None:
    TeamMembership.objects.update_or_create(team=team, user=user, defaults={"role": role})


def search_text_for(name: str, title: str, description: str, tags: list[str]) -> str:
    """The lower-cased text that catalog search matches partial words against."""
    return " ".join([name, title, description, *tags]).lower()


@transaction.atomic
def register_component(
    name: str,
    *,
    owner: Team | None,
    tags: Iterable[str] = (),
    namespace: str = DEFAULT_NAMESPACE,
    **fields,
) -> tuple[Component, bool]:
    """Create the component `namespace/name` or bring the fields given up to date; returns it
    and whether it was created.

    Guarantees, in one transaction:
    1. running it again with the same arguments leaves the same row (only updated_at moves);
    2. `owner_ref` names `owner`, so the written reference and the owner column agree;
    3. `tags` are added to the ones the component has, never removed;
    4. `search_text` is recomputed with search_text_for from the saved name, title,
       description and every tag, so catalog search finds the component at once.
    Fields other than COMPONENT_FIELDS raise TypeError: a caller cannot set derived columns.
    """
    if unknown := set(fields) - COMPONENT_FIELDS:
        raise TypeError(f"register_component cannot set {', '.join(sorted(unknown))}")
    defaults = {**fields, "owner": owner, "owner_ref": owner.ref if owner else ""}
    component, created = Component.objects.update_or_create(
        namespace=namespace, name=name, defaults=defaults
    )
    if names := [n for n in dict.fromkeys(tags) if n]:
        component.tags.add(*(Tag.objects.get_or_create(name=n)[0] for n in names))
    _keep_search_text(component)
    return component, created


def _keep_search_text(component: Component) -> None:
    """Recompute the component's search_text from its row and tags; write only on a change."""
    tags = list(component.tags.values_list("name", flat=True))
    text = search_text_for(component.name, component.title, component.description, tags)
    if text != component.search_text:
        Component.objects.filter(pk=component.pk).update(search_text=text)
        component.search_text = text


@transaction.atomic
def annotate_component(component: Component, annotations: dict[str, str]) -> bool:
    """Merge `annotations` into the component's own (other keys are kept) and say whether that
    changed anything; nothing is written when every value is already there.

    The row is re-read under a lock, so a concurrent write of another key is not lost; the
    instance passed in is brought up to date too.
    """
    versioning.lock_for_write()  # the triggers' lock order: version first, then the row
    current = Component.objects.select_for_update().values_list("annotations", flat=True)
    before = current.get(pk=component.pk) or {}
    merged = {**before, **annotations}
    component.annotations = merged
    if merged == before:
        return False
    component.save(update_fields=["annotations", "updated_at"])
    return True
