"""The kinds of help a ticket asks for, and which of them the portal already offers.

One definition, imported by the models (rule choices), the classifier, the audit page, the API
and the metrics. A type is "self-service" when the portal can do it without a ticket: a
provisioning resource type (provisioning/resource_types.py) or a new service from a golden
path ("service").
"""

from dataclasses import dataclass

from provisioning.resource_types import RESOURCE_TYPES

GOLDEN_PATH_TYPE = "service"
SELF_SERVICE_TYPES = frozenset([*RESOURCE_TYPES, GOLDEN_PATH_TYPE])


@dataclass(frozen=True)
class TicketType:
    slug: str
    title: str
    provisioning: bool  # a need for infrastructure (counts in the self-service share)

    @property
    def self_service(self) -> bool:
        return self.slug in SELF_SERVICE_TYPES


TICKET_TYPES: dict[str, TicketType] = {
    t.slug: t
    for t in [
        *(TicketType(slug, rt.title, True) for slug, rt in RESOURCE_TYPES.items()),
        TicketType(GOLDEN_PATH_TYPE, "New service or repository", True),
        TicketType("dns-record", "DNS record", True),
        TicketType("tls-certificate", "TLS certificate", True),
        TicketType("access", "Access or permissions", False),
        TicketType("other", "Other question", False),
    ]
}
TYPE_CHOICES = [(t.slug, t.title) for t in TICKET_TYPES.values()]
PROVISIONING_TYPES = frozenset(slug for slug, t in TICKET_TYPES.items() if t.provisioning)


def is_self_service(slug: str) -> bool:
    return slug in SELF_SERVICE_TYPES
