from django.urls import path

from provisioning import views

app_name = "provisioning"

urlpatterns = [
    path("", views.index, name="index"),
    path("create-service/", views.create_service, name="create_service"),
]
