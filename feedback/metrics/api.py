"""JSON endpoints of the feedback app's metrics part (included under /api/ by feedback/api.py)."""

urlpatterns: list = []
