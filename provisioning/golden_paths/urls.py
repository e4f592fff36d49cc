"""Golden-path pages: creating and deploying services, Day-2 updates and parity.

Included into provisioning/urls.py's own list (no namespace of its own), so the URL names stay
`provisioning:<name>`.
"""

from django.urls import path

from provisioning.golden_paths import views, views_parity, views_updates

urlpatterns = [
    path("create-service/", views.create_service, name="create_service"),
    path(
        "create-service/check-name/",
        views.check_service_name,
        name="create_service_check_name",
    ),
    path(
        "create-service/<slug:slug>/",
        views.create_service_form,
        name="create_service_form",
    ),
    path("services/<str:name>/deploy/", views.deploy_service, name="service_deploy"),
    path("parity/", views_parity.parity_report, name="parity_report"),
    path("updates/", views_updates.updates_overview, name="updates"),
    path("updates/<slug:kind>/<int:pk>/open/", views_updates.open_update, name="update_open"),
    path("services/<str:name>/upgrade/", views_updates.upgrade_service, name="service_upgrade"),
]
