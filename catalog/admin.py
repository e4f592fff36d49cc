from django.contrib import admin

from catalog.models import (
    Api,
    ApiRelation,
    Component,
    Dependency,
    Domain,
    Link,
    Resource,
    System,
    Tag,
    Team,
    TeamMembership,
)


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "title", "namespace", "type", "contact_channel"]
    list_filter = ["namespace", "type"]
    search_fields = ["name", "title", "description"]
    inlines = [TeamMembershipInline]
    readonly_fields = ["uid", "etag", "created_at", "updated_at"]


@admin.register(TeamMembership)
class TeamMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "team", "role"]
    list_filter = ["role", "team"]
    search_fields = ["user__username", "team__name"]
    autocomplete_fields = ["user", "team"]


class EntityAdmin(admin.ModelAdmin):
    list_filter = ["namespace"]
    search_fields = ["name", "title", "description"]
    readonly_fields = ["uid", "etag", "created_at", "updated_at"]
    list_select_related = ["owner"]


@admin.register(Domain)
class DomainAdmin(EntityAdmin):
    list_display = ["name", "namespace", "title", "owner"]
    autocomplete_fields = ["owner"]


@admin.register(System)
class SystemAdmin(EntityAdmin):
    list_display = ["name", "namespace", "title", "owner", "domain"]
    list_filter = ["namespace", "domain"]
    autocomplete_fields = ["owner", "domain"]


class LinkInline(admin.TabularInline):
    model = Link
    extra = 0


class ApiRelationInline(admin.TabularInline):
    model = ApiRelation
    extra = 0
    autocomplete_fields = ["api"]


class DependencyInline(admin.TabularInline):
    model = Dependency
    fk_name = "source"
    extra = 0
    autocomplete_fields = ["target_component", "target_resource"]


@admin.register(Component)
class ComponentAdmin(EntityAdmin):
    list_display = ["name", "namespace", "type", "lifecycle", "tier", "owner", "system"]
    list_filter = ["namespace", "type", "lifecycle", "tier", "language"]
    list_select_related = ["owner", "system"]
    autocomplete_fields = ["owner", "system", "subcomponent_of", "tags"]
    readonly_fields = [*EntityAdmin.readonly_fields, "search_text"]
    inlines = [LinkInline, ApiRelationInline, DependencyInline]


@admin.register(Api)
class ApiAdmin(EntityAdmin):
    list_display = ["name", "namespace", "type", "lifecycle", "owner", "system"]
    list_filter = ["namespace", "type", "lifecycle"]
    autocomplete_fields = ["owner", "system"]


@admin.register(Resource)
class ResourceAdmin(EntityAdmin):
    list_display = ["name", "namespace", "type", "owner", "system"]
    list_filter = ["namespace", "type"]
    autocomplete_fields = ["owner", "system"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Dependency)
class DependencyAdmin(admin.ModelAdmin):
    list_display = ["source", "target_ref", "target_component", "target_resource"]
    search_fields = ["source__name", "target_ref"]
    list_select_related = ["source", "target_component", "target_resource"]
    autocomplete_fields = ["source", "target_component", "target_resource"]
