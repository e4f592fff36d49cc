"""Pages of the feedback app's roadmap part (included by feedback/urls.py)."""

urlpatterns: list = []
