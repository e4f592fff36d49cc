"""Choices of the feedback app's roadmap part."""

from django.db import models


class RoadmapStatus(models.TextChoices):
    NOW = "now", "Now"
    NEXT = "next", "Next"
    LATER = "later", "Later"
    SHIPPED = "shipped", "Shipped"


class FrictionStatus(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    LINKED = "linked", "Linked to the roadmap"
    CLOSED = "closed", "Closed"
