"""A person in the browser, acting on what they can read: labels, roles and accessible names.

`Person` wraps a Playwright page and counts every action a person takes (clicks, fills,
choices, key presses), so the benchmark can report them. Its `click()` fails when the click
does not lead where its label promises: it is told what the person expects to see next (a
heading, a text, any locator) and, failing that, insists that the address changed, so a button
that re-renders the same page is a failure. `step()` names a part of a journey; when it fails,
the page is saved as a screenshot into the test's output folder (or $SCREENSHOTS_DIR).

Nothing here uses CSS ids or test hooks: what a person cannot see, a journey cannot use.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests.e2e.stack import DEMO_PASSWORD, Stack

Expectation = str | re.Pattern | Locator | None
# A worker finishes a service or a queue in seconds on an idle machine; CI shares its CPUs.
WORK_TIMEOUT = 90_000


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


class Person:
    """One signed-in (or signing-in) person with a page of their own."""

    def __init__(self, page: Page, stack: Stack, name: str, shots: Path, label: str = ""):
        self.page, self.stack, self.name, self.shots = page, stack, name, shots
        self.label = label or name
        self.actions = 0
        self.steps = 0
        self.log: list[str] = []
        self.failures: list[str] = []
        self.finished_at = 0.0  # when the journey's work was done (walk_to_staging)

    # --- navigation and actions -----------------------------------------------------------

    def open(self, path: str) -> None:
        """Go to a page by its address, as a bookmark or a link from a chat would."""
        self.page.goto(f"{self.stack.url}{path}")

    def click(
        self,
        role: str,
        name: str | re.Pattern,
        leads_to: Expectation = None,
        *,
        within: Locator | None = None,
        exact: bool = True,
        first: bool = False,
        timeout: float = 15_000,
    ) -> None:
        """Click the control called `name`; then `leads_to` must show (a heading's name, a
        locator), or without one, the address must change."""
        scope = within or self.page
        target = scope.get_by_role(role, name=name, exact=exact if isinstance(name, str) else None)
        if first:  # e.g. the newest of a list of versions, listed newest first
            target = target.first
        before = self.page.url
        self._act(f"click {role} {name!s}")
        target.click()
        self.expect_arrival(leads_to, before, f"{role} '{name}'", timeout)
        # A person reads before typing; a fill before the deferred scripts ran (a slow first
        # load of htmx on a busy machine) would go unseen by the live checks.
        self.page.wait_for_load_state("load")

    def fill(self, label: str | re.Pattern, value: str, *, within: Locator | None = None) -> None:
        self._act(f"fill {label!s}")
        (within or self.page).get_by_label(label, exact=isinstance(label, str)).fill(value)

    def choose(self, label: str, option: str, *, within: Locator | None = None) -> None:
        self._act(f"choose {label}: {option}")
        (within or self.page).get_by_label(label, exact=True).select_option(label=option)

    def tick(self, label: str | re.Pattern, *, within: Locator | None = None) -> None:
        self._act(f"tick {label!s}")
        (within or self.page).get_by_label(label, exact=isinstance(label, str)).check()

    def press(self, label: str, key: str) -> None:
        self._act(f"press {key} in {label}")
        self.page.get_by_label(label, exact=True).press(key)

    def open_user_menu(self) -> None:
        """The header's menu under the person's own name."""
        self._act("open the user menu")
        menu = self.page.get_by_role("navigation", name="Main").get_by_text(self.name, exact=True)
        menu.click()

    def press_in(self, field: Locator, key: str) -> None:
        self._act(f"press {key}")
        field.press(key)

    def tick_box(self, box: Locator) -> None:
        """Tick a box found by its place (e.g. the first choice of a question)."""
        self._act("tick a box")
        box.check()

    def _act(self, what: str) -> None:
        self.actions += 1
        self.log.append(what)

    # --- what the person expects ----------------------------------------------------------

    def expect_arrival(self, leads_to: Expectation, before: str, what: str, timeout: float):
        if leads_to is None:
            try:
                self.page.wait_for_url(lambda url: url != before, timeout=timeout)
            except Exception as error:
                raise AssertionError(
                    f"{what} promised to go somewhere, but the page stayed at {before}"
                ) from error
            return
        locator = (
            self.page.get_by_role("heading", name=leads_to)
            if isinstance(leads_to, str | re.Pattern)
            else leads_to
        )
        try:
            expect(locator.first).to_be_visible(timeout=timeout)
        except AssertionError as error:
            raise AssertionError(
                f"{what} did not lead where its label promises: {leads_to} never showed "
                f"(the page is {self.page.url})"
            ) from error

    def heading(self, name: str | re.Pattern) -> Locator:
        return self.page.get_by_role("heading", name=name)

    def sees(self, text: str | re.Pattern, timeout: float = 10_000) -> None:
        expect(self.page.get_by_text(text).first).to_be_visible(timeout=timeout)

    def main(self) -> Locator:
        return self.page.get_by_role("main")

    # --- steps and screenshots ------------------------------------------------------------

    @contextlib.contextmanager
    def step(self, what: str) -> Iterator[None]:
        """A named part of the journey: on failure the page is saved, then the error rises."""
        self.steps += 1
        started = time.monotonic()
        try:
            yield
        except BaseException as error:
            path = self.screenshot(f"FAILED-{self.steps:02d}-{what}")
            note = f"[{self.label}] step {self.steps} '{what}' failed; screenshot: {path}"
            if hasattr(error, "add_note"):
                error.add_note(note)
            raise
        finally:
            self.log.append(f"step {what}: {time.monotonic() - started:.1f} s")

    @contextlib.contextmanager
    def check(self, what: str) -> Iterator[None]:
        """An expectation the journey can go on without (words on a page, a badge): a failure
        is recorded with a screenshot and fails the test at its end (`verdict()`), so one run
        reports every broken promise instead of the first."""
        try:
            yield
        except Exception as error:
            path = self.screenshot(f"CHECK-{what}")
            reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            self.failures.append(f"{what}: {reason} (screenshot: {path})")

    def screenshot(self, name: str) -> Path | None:
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{_slug(self.label)}-{_slug(name)}.png"
        with contextlib.suppress(Exception):
            self.page.screenshot(path=str(path), full_page=True)
            return path
        return None

    # --- signing in -----------------------------------------------------------------------

    def sign_in(self, password: str = DEMO_PASSWORD, totp: bool = False) -> None:
        """From the sign-in page to the home page, as this person; a code when asked."""
        self.open("/accounts/login/")
        self.fill("Username or e-mail", self.name)
        self.fill("Password", password)
        if totp:
            self.click("button", "Sign in", "Two-Factor Authentication")
            self.fill("Code:", self.stack.totp_code())
            self.click("button", "Sign In", "What do you want to do?")
        else:
            self.click("button", "Sign in", "What do you want to do?")


def verdict(*people: Person) -> None:
    """Fail with every recorded `check()` failure of these people, if any."""
    failures = [f"[{p.label}] {failure}" for p in people for failure in p.failures]
    assert not failures, "the journey went through, but:\n" + "\n".join(failures)


def unique(prefix: str) -> str:
    """A fresh, valid service name, so journeys can run in any order and more than once."""
    return f"{prefix}-{int(time.time() * 1000) % 10_000_000:07d}"


# --- the newcomer's path, shared by journey 1 and the time-budget benchmark -------------------

GOLDEN_PATH = "Python HTTP service"


def h1(person: Person, name: str | re.Pattern) -> Locator:
    return person.page.get_by_role("heading", level=1, name=name)


def state_is(person: Person, state: str, timeout: float = WORK_TIMEOUT) -> None:
    """The request page's state line reads `state` (the page polls; nobody reloads it)."""
    expect(person.main()).to_contain_text(re.compile(rf"State:\s*{state}"), timeout=timeout)


def walk_to_staging(person: Person, name: str, description: str) -> None:
    """From the home page to "<name> is deployed to staging", as a newcomer: the home page's
    card, a golden path, two answers, the plan, Create."""
    with person.step("open 'Create a service' from the home page"):
        person.click("button", "Create a service", h1(person, "Create a service"))
    with person.step(f"choose the golden path '{GOLDEN_PATH}'"):
        person.click("button", f"Use {GOLDEN_PATH}", h1(person, f"Create a {GOLDEN_PATH}"))
    with person.step("answer the questions"):
        person.fill("Service name", name)
        person.sees(f"{name} is free", timeout=20_000)  # the live check, before moving on
        person.fill("What it does", description)
    with person.step("show the plan"):
        person.click("button", "Show the plan", person.heading("The plan"))
    with person.check("the Create button sits right under the plan summary"):
        create_is_near_the_plan(person, name)
    with person.step(f"create {name}"):
        person.click("button", f"Create {name}", h1(person, re.compile(r"^Request #\d+")))
    with person.step("wait for the request to finish"):
        finished = re.compile(
            rf"{re.escape(name)} is deployed to staging|State:\s*(Succeeded|Failed)"
        )
        expect(person.main()).to_contain_text(finished, timeout=WORK_TIMEOUT)
        expect(person.main()).not_to_contain_text(re.compile(r"State:\s*Failed"), timeout=1)
        person.finished_at = time.monotonic()
    with person.check(f"the page says in words that {name} is deployed to staging"):
        person.sees(f"{name} is deployed to staging", timeout=5_000)


def create_is_near_the_plan(person: Person, name: str) -> None:
    """A person who reads the plan's summary sees Create without scrolling past the files."""
    plan = person.heading("The plan").bounding_box()
    create = person.page.get_by_role("button", name=f"Create {name}").bounding_box()
    screen = person.page.viewport_size["height"]
    assert plan and create, "the plan or its Create button is not on the page"
    assert 0 < create["y"] - plan["y"] < screen, (
        f"Create {name} is {create['y'] - plan['y']:.0f} px below the plan's heading "
        f"(the screen is {screen} px tall)"
    )


def create_service(person: Person, name: str) -> str:
    """Set-up for the journeys that need a service of their own: made through the pages, waits
    for the request to succeed; returns the service page's path."""
    with person.step(f"set up: create the service {name}"):
        person.open("/provisioning/create-service/")
        person.click("button", f"Use {GOLDEN_PATH}", h1(person, f"Create a {GOLDEN_PATH}"))
        person.fill("Service name", name)
        person.sees(f"{name} is free", timeout=20_000)
        person.fill("What it does", f"Made by the journeys: {name}.")
        person.click("button", "Show the plan", person.heading("The plan"))
        person.click("button", f"Create {name}", h1(person, re.compile(r"^Request #\d+")))
        state_is(person, "Succeeded")
    return f"/catalog/services/default/{name}/"
