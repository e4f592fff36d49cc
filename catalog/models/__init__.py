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
from catalog.models.teams import Team, TeamMembership

__all__ = [
    "Api",
    "ApiRelation",
    "Component",
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
