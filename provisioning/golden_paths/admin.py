"""Admin for golden paths and pipeline templates: versioned saves and the preview render.

Published versions are frozen: saving changes to one creates the next version (with the edited
files), and the one edited stays as it was, because services record the version they came from.
Drafts are edited in place. The skeleton's files are rendered with sample values on every save,
so a template error is shown next to the files with its name and line, and nothing broken is
saved; "Preview render" shows everything a golden path makes, or every problem it has.
A newest published version shows how many services are behind it, and the list's action opens
the upgrade (golden paths) or roll-out (pipelines) that brings them to it.
"""

import difflib
import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from provisioning import services as provisioning
from provisioning.golden_paths import services, updates
from provisioning.golden_paths.manifests import defaults_problems
from provisioning.golden_paths.parameters import spec_problems
from provisioning.golden_paths.planning import GoldenPathSpec, PipelineSpec
from provisioning.golden_paths.preview import preview
from provisioning.models import Environment, GoldenPath, PipelineTemplate, SkeletonFile


def _spec(gp: GoldenPath, files: dict[str, str]) -> GoldenPathSpec:
    p = gp.pipeline
    return GoldenPathSpec(
        gp.slug or "draft",
        gp.version or 1,
        gp.name,
        gp.language,
        gp.framework,
        files,
        PipelineSpec(p.slug, p.version, p.name, p.path, p.content, p.image_registry),
        gp.pipeline_settings or {},
        gp.deployment_defaults or {},
        gp.observability_defaults or {},
    )


def _environments() -> list:
    return [provisioning.environment_spec(e) for e in Environment.objects.all()]


def preview_of(gp: GoldenPath, files: dict[str, str] | None = None):
    if files is None:
        files = {f.path: f.content for f in gp.files.all()}
    return preview(_spec(gp, files), gp.parameters or [], _environments())


JSON_HINTS = {
    "Expecting property name enclosed in double quotes": "a key must be in double quotes, and "
    "there may be no comma after the last item",
    "Expecting ',' delimiter": "a comma is missing between two items, or a quote is not closed",
    "Expecting value": "a value is missing or not JSON (strings take double quotes; true, "
    "false and null are lowercase; no comma after the last item)",
    "Expecting ':' delimiter": "a colon is missing after a key",
    "Extra data": "there is text after the end: the whole spec is one list or object",
    "Unterminated string starting at": "a string's closing double quote is missing",
    "Invalid control character at": "a line break inside a string: write it as \\n",
}


class PrettyJSONField(forms.JSONField):
    """JSON shown indented on many lines; a syntax error says its line, column and the fix."""

    widget = forms.Textarea(attrs={"rows": 16, "cols": 80, "class": "vLargeTextField json-spec"})

    def to_python(self, value):
        if self.disabled or value in self.empty_values:
            return super().to_python(value)
        try:
            json.loads(value, cls=self.decoder)
        except json.JSONDecodeError as exc:
            hint = JSON_HINTS.get(exc.msg, "")
            raise ValidationError(
                f"Not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
                + (f" ({hint})." if hint else "."),
                code="invalid",
            ) from None
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)


class GoldenPathForm(forms.ModelForm):
    class Meta:
        model = GoldenPath
        fields = [
            "slug",
            "name",
            "description",
            "language",
            "framework",
            "published",
            "parameters",
            "pipeline",
            "pipeline_settings",
            "deployment_defaults",
            "observability_defaults",
        ]
        field_classes = {
            "parameters": PrettyJSONField,
            "pipeline_settings": PrettyJSONField,
            "deployment_defaults": PrettyJSONField,
            "observability_defaults": PrettyJSONField,
        }

    def clean_deployment_defaults(self):
        defaults = self.cleaned_data["deployment_defaults"]
        if problems := defaults_problems(defaults):
            raise ValidationError(problems)
        return defaults

    def clean_parameters(self):
        parameters = self.cleaned_data["parameters"]
        if problems := spec_problems(parameters):
            raise ValidationError(problems)
        return parameters


class TemplateTextField(forms.CharField):
    """A template's text exactly as written: not stripped, with browser CRLFs made LF."""

    def __init__(self, **kwargs):
        kwargs["strip"] = False
        super().__init__(**kwargs)

    def to_python(self, value):
        return super().to_python(value).replace("\r\n", "\n")


TEMPLATE_TEXT = {models.TextField: {"form_class": TemplateTextField}}


class SkeletonFileFormSet(BaseInlineFormSet):
    def clean(self):
        """Render every file with sample values; template errors block the save."""
        super().clean()
        if any(self.errors) or not getattr(self.instance, "pipeline_id", None):
            return
        files = {
            f.cleaned_data["path"]: f.cleaned_data.get("content", "")
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("path")
        }
        result = preview_of(self.instance, files)
        if result.problems:
            raise ValidationError([f"Not saved: {p}" for p in result.problems])


class SkeletonFileInline(admin.StackedInline):
    model = SkeletonFile
    formset = SkeletonFileFormSet
    formfield_overrides = TEMPLATE_TEXT
    extra = 0
    fields = ["path", "content"]


class VersionedAdmin(admin.ModelAdmin):
    """Saving a published row makes the next version; the row edited is left untouched."""

    def _is_published(self, obj) -> bool:
        return bool(obj.pk) and type(obj).objects.filter(pk=obj.pk, published=True).exists()

    def save_model(self, request, obj, form, change):
        request._new_version = change and self._is_published(obj)
        if not request._new_version:
            super().save_model(request, obj, form, change)

    def _announce(self, request, old_version: int, new):
        self.message_user(
            request,
            f"{new.name} was published, so your changes are version {new.version}; version "
            f"{old_version} stays as it was for what was made from it.",
            messages.SUCCESS,
        )
        if new.published and (behind := updates.behind_counts(type(new)).get(new.pk)):
            self.message_user(
                request,
                f"{behind} service(s) are on older versions: open the update for them with the "
                "action on the list, or on the Golden-path updates page.",
                messages.INFO,
            )

    def response_change(self, request, obj):
        """ "Save and continue editing" opens the version just saved: the edit made a new one
        (obj.pk is now its id), and going back to the URL posted to would show the old one."""
        if getattr(request, "_new_version", False) and "_continue" in request.POST:
            opts = self.opts
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            return redirect(url)
        return super().response_change(request, obj)

    @admin.display(description="Services behind")
    def services_behind(self, obj):
        if not obj.pk:
            return "—"
        behind = updates.behind_counts(type(obj))
        if obj.pk not in behind:
            return "Not the newest published version: services are upgraded to the newest."
        anchor = "golden-path" if isinstance(obj, GoldenPath) else "pipeline"
        url = f"{reverse('provisioning:updates')}#{anchor}-{obj.slug}"
        return format_html(
            '{} service(s) on older versions. <a href="{}">{}</a>',
            behind[obj.pk],
            url,
            "Upgrade them" if isinstance(obj, GoldenPath) else "Roll out to them",
        )

    @admin.action(description="Open the upgrade / roll-out for the services behind")
    def open_updates(self, request, queryset):
        """One request per selected newest version; each bringing its services behind to it."""
        opened = []
        for target in queryset:
            try:
                opened.append(updates.submit_update(request.user, target))
            except updates.UpdateError as exc:
                self.message_user(request, f"{target}: nothing opened: {exc}.", messages.WARNING)
        for req in opened:
            self.message_user(
                request, f"Request #{req.pk}: {req.plan['summary']}.", messages.SUCCESS
            )
        return redirect(opened[0]) if len(opened) == 1 else None


@admin.register(PipelineTemplate)
class PipelineTemplateAdmin(VersionedAdmin):
    formfield_overrides = TEMPLATE_TEXT
    list_display = ["name", "slug", "version", "published", "image_registry", "created_at"]
    list_filter = ["published", "slug"]
    readonly_fields = ["version", "services_behind"]
    actions = ["open_updates"]
    fields = [
        "slug",
        "version",
        "services_behind",
        "name",
        "description",
        "path",
        "image_registry",
        "content",
        "published",
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if request._new_version:
            current = PipelineTemplate.objects.get(pk=obj.pk)
            fields = {k: v for k, v in form.cleaned_data.items() if k != "slug"}
            new = services.save_new_pipeline_version(current, fields)
            self._announce(request, current.version, new)
            obj.pk, obj.version = new.pk, new.version


@admin.register(GoldenPath)
class GoldenPathAdmin(VersionedAdmin):
    form = GoldenPathForm
    inlines = [SkeletonFileInline]
    list_display = ["name", "slug", "version", "language", "published", "pipeline", "created_at"]
    list_filter = ["published", "language"]
    list_select_related = ["pipeline"]
    readonly_fields = ["version", "preview_link", "services_behind"]
    actions = ["preview_render", "open_updates"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "slug",
                    "version",
                    "name",
                    "description",
                    "language",
                    "framework",
                    "published",
                    "preview_link",
                    "services_behind",
                ]
            },
        ),
        ("What engineers answer", {"fields": ["parameters"]}),
        ("Pipeline", {"fields": ["pipeline", "pipeline_settings"]}),
        ("Defaults", {"fields": ["deployment_defaults", "observability_defaults"]}),
    ]

    @admin.display(description="Preview")
    def preview_link(self, obj):
        if not obj.pk:
            return "Save first, then preview."
        url = reverse("admin:provisioning_goldenpath_preview", args=[obj.pk])
        return format_html('<a href="{}">Preview render with sample values</a>', url)

    def get_urls(self):
        preview_url = path(
            "<int:pk>/preview/",
            self.admin_site.admin_view(self.preview_view),
            name="provisioning_goldenpath_preview",
        )
        unsaved_url = path(
            "<int:pk>/preview-unsaved/",
            self.admin_site.admin_view(self.preview_unsaved_view),
            name="provisioning_goldenpath_preview_unsaved",
        )
        return [preview_url, unsaved_url, *super().get_urls()]

    def preview_unsaved_view(self, request, pk: int):
        """What the change form's values would make, and how they differ from what is saved;
        nothing is saved (the change form's "Preview unsaved changes" posts here)."""
        saved = get_object_or_404(GoldenPath.objects.select_related("pipeline"), pk=pk)
        change_url = reverse("admin:provisioning_goldenpath_change", args=[pk])
        if request.method != "POST":
            return redirect(change_url)
        if not self.has_change_permission(request, saved):
            raise PermissionDenied("Only platform admins who may edit golden paths preview them.")
        edited = GoldenPath.objects.select_related("pipeline").get(pk=pk)
        form = self.get_form(request, edited, change=True)(request.POST, instance=edited)
        formsets, _ = self._create_formsets(request, edited, change=True)
        valid = form.is_valid() and all(f.is_valid() for f in formsets)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Preview of your unsaved edit to {saved.name}",
            "opts": self.model._meta,
            "saved": saved,
            "change_url": change_url,
            "errors": [] if valid else unsaved_errors(form, formsets),
        }
        if form.is_valid():
            files = edited_files(formsets)
            context |= {
                "field_changes": field_changes(form, saved),
                "file_changes": file_changes({f.path: f.content for f in saved.files.all()}, files),
                "result": preview_of(edited, files),
            }
        return TemplateResponse(request, "provisioning/golden/admin_unsaved_preview.html", context)

    def preview_view(self, request, pk: int):
        gp = get_object_or_404(GoldenPath.objects.select_related("pipeline"), pk=pk)
        return self._render_previews(request, [gp])

    @admin.action(description="Preview render with sample values")
    def preview_render(self, request, queryset):
        return self._render_previews(request, list(queryset.select_related("pipeline")))

    def _render_previews(self, request, golden_paths):
        results = [(gp, preview_of(gp)) for gp in golden_paths]
        context = {
            **self.admin_site.each_context(request),
            "title": "Preview render",
            "results": results,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "provisioning/golden/admin_preview.html", context)

    change_form_template = "provisioning/golden/admin_change_form.html"

    def save_related(self, request, form, formsets, change):
        if not getattr(request, "_new_version", False):
            return super().save_related(request, form, formsets, change)
        current = GoldenPath.objects.get(pk=form.instance.pk)
        fields = {k: v for k, v in form.cleaned_data.items() if k not in {"slug"}}
        files = []
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            files += [
                {"path": f.cleaned_data["path"], "content": f.cleaned_data.get("content", "")}
                for f in formset.forms
                if f.cleaned_data
                and not f.cleaned_data.get("DELETE")
                and f.cleaned_data.get("path")
            ]
        new = services.save_new_golden_path_version(current, fields, files)
        self._announce(request, current.version, new)
        form.instance.pk, form.instance.version = new.pk, new.version


# --- the preview of an unsaved edit ----------------------------------------------------------


def edited_files(formsets) -> dict[str, str]:
    """The skeleton files as the inline forms hold them (deleted ones left out)."""
    return {
        f.cleaned_data["path"]: f.cleaned_data.get("content", "")
        for formset in formsets
        for f in formset.forms
        if getattr(f, "cleaned_data", None)
        and not f.cleaned_data.get("DELETE")
        and f.cleaned_data.get("path")
    }


def unsaved_errors(form, formsets) -> list[str]:
    """Every problem that would stop the save, as 'Field: what is wrong'."""
    errors = [
        f"{form.fields[name].label if name in form.fields else 'Golden path'}: {message}"
        for name, messages_ in form.errors.items()
        for message in messages_
    ]
    for formset in formsets:
        errors += [str(e) for e in formset.non_form_errors()]
        for f in formset.forms:
            path_ = f.cleaned_data.get("path", "a file") if hasattr(f, "cleaned_data") else "a file"
            errors += [f"{path_}: {m}" for messages_ in f.errors.values() for m in messages_]
    return errors


def _as_text(value) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, indent=2)
    return "" if value is None else str(value)


def _diff(before: str, after: str, name: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), f"saved/{name}", f"edited/{name}", lineterm=""
    )
    return "\n".join(lines)


def field_changes(form, saved: GoldenPath) -> list[tuple[str, str]]:
    """(label, unified diff) for each field the edit changes."""
    changes = []
    for name in form.changed_data:
        before, after = _as_text(getattr(saved, name)), _as_text(form.cleaned_data.get(name))
        if before != after:
            changes.append((str(form.fields[name].label), _diff(before, after, name)))
    return changes


def file_changes(before: dict[str, str], after: dict[str, str]) -> list[tuple[str, str, str]]:
    """(path, "added" | "removed" | "changed", unified diff) for each file the edit touches."""
    changes = []
    for path_ in sorted(before.keys() | after.keys()):
        old, new = before.get(path_), after.get(path_)
        if old == new:
            continue
        what = "added" if old is None else "removed" if new is None else "changed"
        changes.append((path_, what, _diff(old or "", new or "", path_)))
    return changes
