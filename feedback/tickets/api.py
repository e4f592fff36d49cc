"""JSON endpoints of the feedback app's tickets part (included under /api/ by feedback/api.py)."""

urlpatterns: list = []
