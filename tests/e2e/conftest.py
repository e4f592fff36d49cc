"""A real browser (Debian's Chromium, driven by Playwright) against the live test server."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests, but there is no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}: `apt-get install chromium` (.ci/run installs it)")
    # Playwright's sync API runs an event loop; Django must allow ORM calls from this thread.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


# Chromium's console lines when the Content-Security-Policy or Permissions-Policy blocks or
# misreads something: any of them fails the test that loaded the page.
POLICY_ERRORS = ("Content Security Policy", "Content-Security-Policy", "Permissions-Policy")


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10_000)
    policy_errors = []
    page.on(
        "console",
        lambda message: (
            policy_errors.append(message.text)
            if any(marker in message.text for marker in POLICY_ERRORS)
            else None
        ),
    )
    yield page
    context.close()
    assert not policy_errors, f"the page broke the browser policies: {policy_errors}"


@pytest.fixture
def demo(transactional_db, settings, tmp_path):
    """`make dev`'s demo data (seed_demo: alice, bob, carol, admin, the catalog, golden paths,
    feedback history), with the environments transactional tests flush and git in tmp_path."""
    from django.core.management import call_command

    from tests.provisioning.conftest import default_environment

    settings.GIT_DIR, settings.GIT_HOST = tmp_path / "git", "local"
    for name in ("dev", "staging", "prod"):
        default_environment(name)
    call_command("seed_demo", verbosity=0)
