from django.db import models


class TeamRole(models.TextChoices):
    LEAD = "lead", "Lead"
    MEMBER = "member", "Member"


class Lifecycle(models.TextChoices):
    EXPERIMENTAL = "experimental", "Experimental"
    PRODUCTION = "production", "Production"
    DEPRECATED = "deprecated", "Deprecated"


class ComponentType(models.TextChoices):
    SERVICE = "service", "Service"
    WEBSITE = "website", "Website"
    LIBRARY = "library", "Library"
    WORKER = "worker", "Worker"
    DATA_PIPELINE = "data-pipeline", "Data pipeline"
    OTHER = "other", "Other"


class Tier(models.IntegerChoices):
    """Criticality: tier 1 is the most critical (customer-facing, revenue), tier 4 the least."""

    TIER_1 = 1, "Tier 1 · critical"
    TIER_2 = 2, "Tier 2 · important"
    TIER_3 = 3, "Tier 3 · standard"
    TIER_4 = 4, "Tier 4 · low"


class ApiType(models.TextChoices):
    OPENAPI = "openapi", "OpenAPI"
    ASYNCAPI = "asyncapi", "AsyncAPI"
    GRAPHQL = "graphql", "GraphQL"
    GRPC = "grpc", "gRPC"


class LinkKind(models.TextChoices):
    DOCS = "docs", "Docs"
    RUNBOOK = "runbook", "Runbook"
    DASHBOARD = "dashboard", "Dashboard"
    CHAT = "chat", "Chat"
    OTHER = "other", "Other"


class ApiRelationKind(models.TextChoices):
    PROVIDES = "provides", "Provides"
    CONSUMES = "consumes", "Consumes"
