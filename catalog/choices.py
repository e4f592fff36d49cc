from django.db import models


class TeamRole(models.TextChoices):
    LEAD = "lead", "Lead"
    MEMBER = "member", "Member"
