from django.db import models
from django.db.models.functions import Lower

from catalog.choices import ApiRelationKind, ApiType, Lifecycle, LinkKind, Tier
from catalog.models.base import OwnedEntity
from catalog.querysets import ComponentQuerySet


def _unique_name(model: str) -> list[models.UniqueConstraint]:
    # Backstage compares names case-insensitively within a kind and namespace.
    return [
        models.UniqueConstraint(
            Lower("namespace"), Lower("name"), name=f"{model}_unique_ns_name_ci"
        )
    ]


class Domain(OwnedEntity):
    """A business area that groups systems, e.g. Payments."""

    KIND = "domain"
    DETAIL_VIEW = "catalog:domain_detail"

    class Meta:
        ordering = ["name"]
        constraints = _unique_name("domain")


class System(OwnedEntity):
    """A set of components and APIs that together provide one capability."""

    KIND = "system"
    DETAIL_VIEW = "catalog:system_detail"

    domain = models.ForeignKey(
        Domain, null=True, blank=True, on_delete=models.SET_NULL, related_name="systems"
    )
    domain_ref = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = _unique_name("system")


class Tag(models.Model):
    """A free-form label on components, used to filter the catalog."""

    name = models.CharField(max_length=63, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Component(OwnedEntity):
    """A piece of software: a service, website, library, worker; what engineers look up first."""

    KIND = "component"
    DETAIL_VIEW = "catalog:service_detail"

    type = models.CharField(max_length=63, default="service", db_index=True)
    lifecycle = models.CharField(
        max_length=63,
        default=Lifecycle.PRODUCTION,
        db_index=True,
        help_text="experimental, production or deprecated",
    )
    tier = models.PositiveSmallIntegerField(
        choices=Tier.choices,
        default=Tier.TIER_3,
        db_index=True,
        help_text="Criticality: 1 is the most critical",
    )
    language = models.CharField(max_length=63, blank=True, db_index=True)
    system = models.ForeignKey(
        System, null=True, blank=True, on_delete=models.SET_NULL, related_name="components"
    )
    system_ref = models.CharField(max_length=200, blank=True)
    subcomponent_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="subcomponents"
    )
    subcomponent_of_ref = models.CharField(max_length=200, blank=True)
    repository_url = models.URLField(max_length=500, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="components")
    search_text = models.TextField(
        blank=True, editable=False, help_text="Lower-cased name, title, description and tags."
    )

    objects = ComponentQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = _unique_name("component")
        indexes = [
            # The list's orders, each ending in the id: the ids of any page, however deep, are
            # read off the index alone (catalog/pagination.py PageOfIds), then 25 rows by id.
            models.Index(fields=["name", "id"], name="component_name_id"),
            models.Index(fields=["tier", "name", "id"], name="component_tier_name_id"),
            models.Index(fields=["updated_at", "id"], name="component_updated_id"),
            models.Index(fields=["owner", "name", "id"], name="component_owner_name_id"),
            models.Index(fields=["system", "name", "id"], name="component_system_name_id"),
        ]


class Link(models.Model):
    """A link from a component to its docs, runbook, dashboard or chat."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="links")
    title = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500)
    kind = models.CharField(max_length=20, choices=LinkKind.choices, default=LinkKind.OTHER)
    icon = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.title or self.url


class Api(OwnedEntity):
    """An interface a component provides and others consume, with its definition."""

    KIND = "api"
    DETAIL_VIEW = "catalog:api_detail"

    type = models.CharField(max_length=63, default=ApiType.OPENAPI)
    lifecycle = models.CharField(max_length=63, default=Lifecycle.PRODUCTION)
    system = models.ForeignKey(
        System, null=True, blank=True, on_delete=models.SET_NULL, related_name="apis"
    )
    system_ref = models.CharField(max_length=200, blank=True)
    definition = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = _unique_name("api")
        verbose_name = "API"


class Resource(OwnedEntity):
    """Infrastructure a component depends on: a database, a bucket, a queue."""

    KIND = "resource"
    DETAIL_VIEW = "catalog:resource_detail"

    type = models.CharField(max_length=63, default="database")
    system = models.ForeignKey(
        System, null=True, blank=True, on_delete=models.SET_NULL, related_name="resources"
    )
    system_ref = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = _unique_name("resource")


class ApiRelation(models.Model):
    """A component provides or consumes an API; the reference is kept even when unresolved."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="api_relations")
    kind = models.CharField(max_length=10, choices=ApiRelationKind.choices)
    api_ref = models.CharField(max_length=200)
    api = models.ForeignKey(
        Api, null=True, blank=True, on_delete=models.SET_NULL, related_name="component_relations"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["component", "kind", "api_ref"], name="one_api_relation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.component_id} {self.kind} {self.api_ref}"


class Dependency(models.Model):
    """A component depends on another component or a resource; cycles are allowed and shown."""

    source = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="dependencies")
    target_ref = models.CharField(max_length=200)
    target_component = models.ForeignKey(
        Component, null=True, blank=True, on_delete=models.SET_NULL, related_name="dependents"
    )
    target_resource = models.ForeignKey(
        Resource, null=True, blank=True, on_delete=models.SET_NULL, related_name="dependents"
    )

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "dependencies"
        constraints = [
            models.UniqueConstraint(fields=["source", "target_ref"], name="one_dependency")
        ]

    def __str__(self) -> str:
        return f"{self.source.name} depends on {self.target_ref}"

    @property
    def target(self):
        return self.target_component or self.target_resource

    @property
    def resolved(self) -> bool:
        return self.target is not None
