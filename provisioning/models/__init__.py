from provisioning.models.requests import (
    Environment,
    GovernancePolicy,
    ProvisionedResource,
    ProvisioningRequest,
    RequestEvent,
    RequestStep,
)

__all__ = [
    "Environment",
    "GovernancePolicy",
    "ProvisionedResource",
    "ProvisioningRequest",
    "RequestEvent",
    "RequestStep",
]
