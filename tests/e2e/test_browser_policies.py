"""Under the Content-Security-Policy, the portal's script, htmx and allauth's MFA pages work."""

from catalog.choices import TeamRole
from provisioning.models import ProvisionedResource
from tests.e2e.accounts import sign_in
from tests.factories import PASSWORD, add_member, make_component, make_team, make_user
from tests.provisioning.conftest import default_environment


def test_decommission_asks_first_and_cancelling_sends_nothing(page, live_server, transactional_db):
    team = make_team("payments", title="Payments")
    add_member(team, make_user("lead"), TeamRole.LEAD)
    petstore = make_component("petstore", owner=team)
    resource = ProvisionedResource.objects.create(
        team=team, component=petstore, environment=default_environment("dev"), provider="aws",
        kind="s3-bucket", name="payments-petstore-dev-assets", state="active",
    )  # fmt: skip
    sign_in(page, live_server.url, "lead")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}{petstore.get_absolute_url()}")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Decommission").click()
    page.wait_for_timeout(300)
    assert questions == ["Delete payments-petstore-dev-assets? This cannot be undone."]
    resource.refresh_from_db()
    assert resource.state == "active"  # dismissed: the form was not sent
    assert page.evaluate("htmx.config.allowEval") is False


def test_an_admin_is_walked_through_setting_up_totp(page, live_server, transactional_db):
    make_user("root", is_staff=True, is_superuser=True)
    sign_in(page, live_server.url, "root")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/admin/")
    assert "Platform admins sign in with a second factor" in page.content()
    if "/accounts/reauthenticate/" in page.url:  # allauth confirms the password first
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/2fa/totp/activate/")
    assert page.locator("img[src^='data:image/svg+xml']").is_visible()  # the QR code, via img-src
