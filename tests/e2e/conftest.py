"""A real browser (Debian's Chromium, driven by Playwright) against the live test server, and
the whole portal (`stack`: web, Celery worker and beat, moto, the local git host) for journeys."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.stack import Stack, start_stack

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


def open_page(browser, policy_errors: list[str], **context_options):
    """A page in a fresh browser context (its own cookies) whose policy errors are collected."""
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on(
        "console",
        lambda message: (
            policy_errors.append(message.text)
            if any(marker in message.text for marker in POLICY_ERRORS)
            else None
        ),
    )
    return page


@pytest.fixture
def page(browser):
    policy_errors = []
    page = open_page(browser, policy_errors)
    yield page
    page.context.close()
    assert not policy_errors, f"the page broke the browser policies: {policy_errors}"


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    """The whole portal as `make dev` runs it, on free ports, once per session (see stack.py)."""
    portal = start_stack(tmp_path_factory.mktemp("stack"))
    try:
        yield portal
    finally:
        portal.stop()


DESKTOP = {"width": 1280, "height": 800}
MOBILE = {"width": 390, "height": 844}


@pytest.fixture
def people(browser, stack, tmp_path):
    """`people("bob")`: a Person (tests/e2e/journey.py) in a browser context of their own, at
    the desktop size or `viewport=MOBILE`. Screenshots of failed steps go to $SCREENSHOTS_DIR
    or the test's own output folder; a page that breaks the browser policies fails the test."""
    from tests.e2e.journey import Person

    shots = Path(os.environ.get("SCREENSHOTS_DIR") or tmp_path)
    policy_errors: list[str] = []
    made: list[Person] = []

    def person(name: str, viewport: dict | None = None) -> Person:
        # A plain 390 px viewport, not Chromium's mobile emulation: with it, a page wider than
        # the screen widens the layout viewport and Playwright's clicks then land on the wrong
        # element, so one overflow would hide every later step. The journeys check the
        # overflow itself (no sideways scrolling) instead.
        page = open_page(browser, policy_errors, viewport=viewport or DESKTOP)
        page.set_default_timeout(20_000)  # CI shares its CPUs with the whole stack
        made.append(Person(page, stack, name, shots, label=f"{name}-{len(made) + 1}"))
        return made[-1]

    yield person
    for someone in made:
        someone.page.context.close()
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
