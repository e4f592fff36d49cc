"""Read-only JSON API under /api/catalog that speaks Backstage's catalog REST API."""

from django.urls import path  # noqa: F401

app_name = "catalog_api"

urlpatterns: list = []
