from django.urls import path

from provisioning import views, views_golden

app_name = "provisioning"

urlpatterns = [
    path("", views.index, name="index"),
    path("create-service/", views_golden.create_service, name="create_service"),
    path(
        "create-service/check-name/",
        views_golden.check_service_name,
        name="create_service_check_name",
    ),
    path(
        "create-service/<slug:slug>/",
        views_golden.create_service_form,
        name="create_service_form",
    ),
    path("services/<str:name>/deploy/", views_golden.deploy_service, name="service_deploy"),
    path("request/<slug:type_slug>/", views.request_form, name="request_form"),
    path("requests/", views.my_requests, name="my_requests"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/<slug:action>/", views.request_action, name="request_action"),
    path("approvals/", views.approvals, name="approvals"),
    path("resources/<int:pk>/<slug:action>/", views.resource_action, name="resource_action"),
    path(
        "services/<str:namespace>/<str:name>/terraform.tf",
        views.terraform_export,
        name="terraform_export",
    ),
]
