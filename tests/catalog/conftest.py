"""Fixtures shared by the catalog's tests."""

import pytest

from catalog.backstage import importing


@pytest.fixture
def database_refuses_doomed(monkeypatch):
    """The import's writer fails with a database error on the document named "doomed" (the
    batch it is in is then retried document by document)."""
    real_values = importing.Writer._values

    def failing_values(self, model, spec):
        if spec.name == "doomed":
            raise importing.transaction.DatabaseError("value refused")
        return real_values(self, model, spec)

    monkeypatch.setattr(importing.Writer, "_values", failing_values)
