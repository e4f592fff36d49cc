"""JSON endpoints of the feedback app's roadmap part (included under /api/ by feedback/api.py)."""

urlpatterns: list = []
