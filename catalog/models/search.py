"""A narrow copy of each component's searched and filtered columns (PostgreSQL only).

The catalog list counts every facet over the rows a search matches. On the component table a
broad search ("pay" matches a fifth of the catalog) reads most of its pages, each row about
730 bytes wide; this table holds only what counting and searching need (about a third of the
width) and each component's tag ids as an array, so a search reads a third of the pages and
the tag counts need no join. Database triggers (migration 0007, catalog/search_table.py) keep
it equal to the component rows and their tags in the same statement as every write, whoever
writes. Type, lifecycle and language are copied lower-cased, as the filters compare them.
Django never creates or changes it (`managed = False`); on SQLite (make dev) it does not exist
and the list counts the component table itself.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models

from catalog.models.entities import Component, System
from catalog.models.teams import Team


class ComponentSearch(models.Model):
    component = models.OneToOneField(
        Component, primary_key=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+",
    )  # fmt: skip
    search_text = models.TextField()
    owner = models.ForeignKey(
        Team, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    owner_ref = models.CharField(max_length=200)
    system = models.ForeignKey(
        System, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    system_ref = models.CharField(max_length=200)
    type = models.CharField(max_length=63)
    lifecycle = models.CharField(max_length=63)
    tier = models.PositiveSmallIntegerField()
    language = models.CharField(max_length=63)
    tag_ids = ArrayField(models.BigIntegerField(), default=list)

    class Meta:
        managed = False
        db_table = "catalog_componentsearch"
        verbose_name = "component search row"

    def __str__(self) -> str:
        return str(self.pk)
