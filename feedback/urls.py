"""The feedback app's pages: the overview, then each part's own (survey, metrics, tickets,
roadmap)."""

from django.urls import path

from feedback import views
from feedback.metrics import urls as metrics
from feedback.roadmap import urls as roadmap
from feedback.survey import urls as survey
from feedback.tickets import urls as tickets

app_name = "feedback"

urlpatterns = [
    path("", views.index, name="index"),
    *survey.urlpatterns,
    *metrics.urlpatterns,
    *tickets.urlpatterns,
    *roadmap.urlpatterns,
]
