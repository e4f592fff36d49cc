"""The catalog's version: a value that changes in the same transaction as every catalog write.

Database triggers (migration 0004) set it on every statement that writes a component, its tags,
a tag, a team or a system, whoever writes (the portal, an import, the admin, raw SQL). A reader
that caches something computed from the catalog keys it by this value, so a cached answer is
never served for a catalog that has changed since. The value is unique, not a counter: a
rolled-back write can never make an old value come back.
"""

from django.db import models


class CatalogVersion(models.Model):
    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "catalog version"

    def __str__(self) -> str:
        return str(self.version)
