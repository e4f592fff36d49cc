from provisioning.models.deploy_events import Build, ChangeCommit, WebhookDelivery
from provisioning.models.golden_paths import (
    Deployment,
    GoldenPath,
    PipelineTemplate,
    ServiceOrigin,
    SkeletonFile,
)
from provisioning.models.requests import (
    Environment,
    GovernancePolicy,
    ProvisionedResource,
    ProvisioningRequest,
    RequestEvent,
    RequestStep,
)

__all__ = [
    "Build",
    "ChangeCommit",
    "Deployment",
    "Environment",
    "GoldenPath",
    "GovernancePolicy",
    "PipelineTemplate",
    "ProvisionedResource",
    "ProvisioningRequest",
    "RequestEvent",
    "RequestStep",
    "ServiceOrigin",
    "SkeletonFile",
    "WebhookDelivery",
]
