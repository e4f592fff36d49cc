"""Pages of the feedback app's tickets part (included by feedback/urls.py)."""

from django.urls import path

from feedback.tickets import views

urlpatterns: list = [
    path("tickets/", views.ticket_audit, name="ticket_audit"),
    path("tickets/export.csv", views.ticket_export, name="ticket_export"),
    path("help/", views.help_request, name="help_request"),
]
