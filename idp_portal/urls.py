from django.contrib import admin
from django.urls import include, path

from idp_portal import openapi, views, views_audit, views_integrations, views_metrics, views_tokens
from provisioning import webhooks

audit_patterns = [
    path("", views_audit.event_list, name="event_list"),
    path("export.csv", views_audit.event_export, name="event_export"),
]

integration_patterns = [
    path("", views_integrations.integration_list, name="list"),
    path("<slug:key>/test/", views_integrations.integration_test, name="test"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("help/", views.help_page, name="help"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views_metrics.metrics, name="metrics"),
    # Signed by GitHub (HMAC), not signed in: provisioning/webhooks.py checks every delivery.
    path("hooks/github/", webhooks.github, name="hooks_github"),
    # Before allauth's include, which would otherwise claim every path under accounts/.
    path("accounts/tokens/", views_tokens.token_list, name="tokens"),
    path("accounts/tokens/<int:pk>/revoke", views_tokens.token_revoke, name="token_revoke"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("audit/", include((audit_patterns, "audit"))),
    path("platform/integrations/", include((integration_patterns, "integrations"))),
    path("catalog/", include("catalog.urls")),
    path("api/schema", openapi.schema_view, name="api_schema"),
    path("api/catalog/", include("catalog.backstage.api")),
    path("api/provisioning/", include("provisioning.api")),
    path("api/observability/", include("observability.api")),
    path("api/metrics/", include("feedback.api")),
    path("provisioning/", include("provisioning.urls")),
    path("observability/", include("observability.urls")),
    path("feedback/", include("feedback.urls")),
]

handler403 = "idp_portal.views.permission_denied"
handler404 = "idp_portal.views.page_not_found"
handler500 = "idp_portal.views.server_error"
