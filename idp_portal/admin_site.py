"""The portal's admin site: every add, change and delete made in the Django admin is audited.

Django's admin reports each write through three ModelAdmin hooks, `log_addition`,
`log_change` and `log_deletions` (the last may bulk-create LogEntry rows, so a signal on
LogEntry would miss deletions). The site wraps every ModelAdmin registered on it, of every
app, in `AuditedAdminMixin`, which sits first in the method order: a ModelAdmin that
overrides a hook without calling `super()` is audited all the same.

Kept apart from `idp_portal/admin.py`: this module is imported while the default site is
being built, so it must register nothing itself.
"""

import json

from django.contrib import admin
from django.contrib.admin.models import LogEntry

from idp_portal import audit


def readable_change_message(message) -> str:
    """The admin's change message (a JSON-able list or a string) as the history page shows it."""
    raw = message if isinstance(message, str) else json.dumps(message)
    return LogEntry(change_message=raw).get_change_message()


def owning_team_name(obj) -> str:
    """The team an admin-edited row belongs to, when it has one (`team` or `owner`)."""
    if obj._meta.label_lower == "catalog.team":
        return obj.name
    team = getattr(obj, "team", None) or getattr(obj, "owner", None)
    return str(getattr(team, "name", "") or "")


def _record(request, action: str, obj, detail: str) -> None:
    audit.record(request.user, action, obj, team=owning_team_name(obj), detail=detail)


class AuditedAdminMixin:
    """Appends an AuditEvent next to each admin LogEntry; the event's `via` is "admin"."""

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        _record(request, "admin.add", obj, readable_change_message(message))
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        _record(request, "admin.change", obj, readable_change_message(message))
        return entry

    def log_deletions(self, request, queryset):
        # Called before the rows go, inside the deletion's transaction: one event per object.
        objects = list(queryset)
        entries = super().log_deletions(request, objects)
        for obj in objects:
            _record(request, "admin.delete", obj, f"Deleted “{obj}”.")
        return entries


def audited(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    """`admin_class` with AuditedAdminMixin first in its method order."""
    if issubclass(admin_class, AuditedAdminMixin):
        return admin_class
    attrs = {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__}
    return type(admin_class.__name__, (AuditedAdminMixin, admin_class), attrs)


class PortalAdminSite(admin.AdminSite):
    """Django's admin site whose every ModelAdmin records its writes in the audit trail."""

    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = audited(admin_class or admin.ModelAdmin)
        super().register(model_or_iterable, admin_class, **options)

    def has_permission(self, request) -> bool:
        """The admin opens for whom the one policy says: platform admins."""
        from catalog import access

        return access.can(request.user, "admin.access")
