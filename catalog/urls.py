from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.service_list, name="service_list"),
    path("teams/<slug:slug>/", views.team_detail, name="team_detail"),
]
