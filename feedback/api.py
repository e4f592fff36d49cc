"""The feedback app's JSON API under /api/metrics/ (each part adds its endpoints)."""

from feedback.metrics import api as metrics
from feedback.tickets import api as tickets

app_name = "feedback_api"

urlpatterns = [*metrics.urlpatterns, *tickets.urlpatterns]
