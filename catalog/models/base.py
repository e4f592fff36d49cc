import uuid

from django.db import models

from catalog.backstage.refs import DEFAULT_NAMESPACE, format_ref
from catalog.validators import validate_entity_name, validate_namespace


class Entity(models.Model):
    """Fields every Backstage kind shares: identity, metadata, and fields the portal keeps as-is."""

    KIND = ""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    namespace = models.CharField(
        max_length=63, default=DEFAULT_NAMESPACE, validators=[validate_namespace]
    )
    name = models.CharField(
        max_length=63,
        validators=[validate_entity_name],
        help_text="1–63 letters, digits, '-', '_' or '.'; starts and ends with a letter or digit",
    )
    title = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    extra = models.JSONField(
        default=dict,
        blank=True,
        help_text="Descriptor fields the portal does not model, kept so export loses nothing.",
    )
    etag = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.title or self.name

    @property
    def ref(self) -> str:
        return format_ref(self.KIND, self.namespace, self.name)

    @property
    def display_name(self) -> str:
        return self.title or self.name


class OwnedEntity(Entity):
    """An entity with an owner team; the written reference is kept even when no team matches."""

    owner = models.ForeignKey(
        "catalog.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner_ref = models.CharField(
        max_length=200, blank=True, help_text="e.g. group:default/payments"
    )

    class Meta:
        abstract = True
