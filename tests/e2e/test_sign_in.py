"""A newcomer signs in with a demo account and lands on the home page, in a real browser."""

from django.core.management import call_command


def test_demo_user_signs_in_and_reaches_each_task(page, live_server, transactional_db):
    call_command("seed_demo", verbosity=0)
    page.goto(f"{live_server.url}/catalog/")
    assert "/accounts/login/" in page.url

    page.get_by_label("Username or e-mail").fill("alice")
    page.get_by_label("Password").fill("platform-demo")
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(f"{live_server.url}/catalog/")
    page.get_by_role("link", name="Platform portal").click()
    assert page.get_by_role("heading", name="What do you want to do?").is_visible()
    assert page.evaluate("typeof htmx") == "object"  # the vendored htmx loaded
    page.get_by_text("Browse the catalog").click()
    page.wait_for_url(f"{live_server.url}/catalog/")
    assert page.url == f"{live_server.url}/catalog/"
