import uuid
from urllib.parse import quote

from django.db import models
from django.urls import get_script_prefix, reverse

from catalog.backstage.refs import DEFAULT_NAMESPACE, format_ref
from catalog.validators import validate_entity_name, validate_namespace

# (view, script prefix) → the view's URL with placeholders for the namespace and the name.
_URL_TEMPLATES: dict[tuple[str, str], str] = {}
_NAMESPACE, _NAME = "{namespace}", "{name}"


def entity_url(view: str, namespace: str, name: str) -> str:
    """reverse(view, args=[namespace, name]) at a fraction of its cost: a list of 50 services
    or a graph of 50 boxes reversed 50 times, a few milliseconds a page. The URL is reversed
    once with placeholders; the values are quoted as reverse() quotes them (entity names and
    namespaces hold only letters, digits, '-', '_' and '.', which no quoting changes)."""
    key = (view, get_script_prefix())
    if (template := _URL_TEMPLATES.get(key)) is None:
        template = _URL_TEMPLATES[key] = reverse(view, args=[_NAMESPACE, _NAME])
    safe = "!$&'()*+,;=~:@"
    return template.replace(quote(_NAMESPACE, safe=safe), quote(namespace, safe=safe)).replace(
        quote(_NAME, safe=safe), quote(name, safe=safe)
    )


class Entity(models.Model):
    """Fields every Backstage kind shares: identity, metadata, and fields the portal keeps as-is."""

    KIND = ""
    DETAIL_VIEW = ""  # the URL name of the kind's page

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

    def get_absolute_url(self) -> str:
        return entity_url(self.DETAIL_VIEW, self.namespace, self.name)

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
