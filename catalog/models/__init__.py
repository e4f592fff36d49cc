from catalog.models.base import Entity, OwnedEntity
from catalog.models.entities import (
    Api,
    ApiRelation,
    Component,
    Dependency,
    Domain,
    Link,
    Resource,
    System,
    Tag,
)
from catalog.models.search import ComponentSearch
from catalog.models.teams import Team, TeamMembership
from catalog.models.version import CatalogVersion

__all__ = [
    "Api",
    "ApiRelation",
    "CatalogVersion",
    "Component",
    "ComponentSearch",
    "Dependency",
    "Domain",
    "Entity",
    "Link",
    "OwnedEntity",
    "Resource",
    "System",
    "Tag",
    "Team",
    "TeamMembership",
]
