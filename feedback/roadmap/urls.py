"""Pages of the feedback app's roadmap part (included by feedback/urls.py)."""

from django.urls import path

from feedback.roadmap import views

urlpatterns: list = [
    path("roadmap/", views.roadmap, name="roadmap"),
    path("roadmap/<int:pk>/", views.roadmap_item, name="roadmap_item"),
    path("roadmap/<int:pk>/vote/", views.roadmap_vote, name="roadmap_vote"),
    path("friction/", views.friction_triage, name="friction_triage"),
    path("friction/new/", views.friction_report, name="friction_report"),
    path("friction/mine/", views.friction_mine, name="friction_mine"),
    path("friction/<int:pk>/triage/", views.friction_update, name="friction_update"),
    path("office-hours/", views.office_hours, name="office_hours"),
    path("office-hours/<int:pk>/sign-up/", views.office_hours_sign_up, name="office_hours_sign_up"),
    path("office-hours/<int:pk>/cancel/", views.office_hours_cancel, name="office_hours_cancel"),
]
