"""A platform admin edits a published golden path in the admin: previews the unsaved edit in a
new tab (the form keeps it), then "Save and continue" opens the new version, not the old."""

import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import expect

from provisioning.demo import seed_golden_paths
from provisioning.models import GoldenPath
from tests.factories import PASSWORD, enroll_totp, make_user
from tests.provisioning.conftest import default_environment


def test_preview_an_unsaved_edit_then_save_and_keep_editing_the_new_version(
    page, live_server, transactional_db
):
    secret = enroll_totp(make_user("root", is_staff=True, is_superuser=True))
    for name in ("dev", "staging", "prod"):
        default_environment(name)
    seed_golden_paths()
    v1 = GoldenPath.objects.get(slug="python-http")

    page.goto(
        f"{live_server.url}/accounts/login/?next=/admin/provisioning/goldenpath/{v1.pk}/change/"
    )
    page.get_by_label("Username or e-mail").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code").fill(format_hotp_value(hotp_value(secret, int(time.time()) // 30)))
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_label("Name:")).to_have_value("Python HTTP service")

    page.get_by_label("Name:").fill("Python HTTP")
    with page.context.expect_page() as opened:
        page.get_by_role("button", name="Preview unsaved changes").click()
    preview = opened.value
    expect(preview.get_by_text("Nothing is saved.")).to_be_visible()
    expect(preview.get_by_text("+Python HTTP", exact=False)).to_be_visible()
    assert GoldenPath.objects.filter(slug="python-http").count() == 1
    preview.close()

    expect(page.get_by_label("Name:")).to_have_value("Python HTTP")  # the edit is still there
    page.get_by_role("button", name="Save and continue editing").click()
    v2 = GoldenPath.objects.get(slug="python-http", version=2)
    page.wait_for_url(f"**/admin/provisioning/goldenpath/{v2.pk}/change/")
    expect(page.get_by_label("Name:")).to_have_value("Python HTTP")
