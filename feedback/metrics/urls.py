"""Pages of the feedback app's metrics part (included by feedback/urls.py)."""

from django.urls import path

from feedback.metrics import views

urlpatterns: list = [
    path("metrics/", views.metrics, name="metrics"),
    path("pilot/", views.pilot_report, name="pilot_report"),
    path("pilot/<int:pk>/csv", views.pilot_report_csv, name="pilot_report_csv"),
]
