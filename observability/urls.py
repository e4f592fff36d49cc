from django.urls import path

from observability import views

app_name = "observability"

urlpatterns = [
    path("", views.index, name="index"),
]
