from django.db import models

# The five signals every service gets, in the order pages show them.
SIGNALS = ("logs", "metrics", "traces", "dashboard", "alerts")


class SignalStatus(models.TextChoices):
    MISSING = "missing", "Missing"
    CONFIGURED = "configured", "Configured"
    VERIFIED = "verified", "Verified"


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical: pages the team's on-call"
    WARNING = "warning", "Warning: notifies the team, never pages"


class BaselineScope(models.IntegerChoices):
    """Which services a baseline row applies to: the default, or one tier's override."""

    DEFAULT = 0, "Default (every tier)"
    TIER_1 = 1, "Tier 1 override"
    TIER_2 = 2, "Tier 2 override"
    TIER_3 = 3, "Tier 3 override"
    TIER_4 = 4, "Tier 4 override"
