"""Pages of the feedback app's metrics part (included by feedback/urls.py)."""

from django.urls import path

from feedback.metrics import views

urlpatterns: list = [
    path("metrics/", views.metrics, name="metrics"),
]
