"""Journey 1 up to "Create" with the keyboard alone (Tab, Shift+Tab, Enter, Space, typing),
from the sign-in page: every element that takes focus on the way shows it (an outline or a
box-shadow), and each key press leads where its label promises."""

import re

from idp_portal.demo import DEMO_PASSWORD

MAX_TABS = 150  # far more than a person would press; past it the element is unreachable
# "Create" sits right under the plan's summary, so a few Tabs after "Show the plan" reach it;
# the file listings come after it (issue 12: it was 58 Tabs and 3,400 px further down).
TABS_FROM_PLAN_TO_CREATE = 5

# The focused element: its role (field, link, button…), accessible name, and whether its focus
# is drawn, read once its transitions (Pico animates the focus ring) have finished.
FOCUSED = """async () => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    await Promise.all(el.getAnimations().map((animation) => animation.finished));
    const style = getComputedStyle(el);
    const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
    const name = el.getAttribute("aria-label") || label || el.innerText || el.value || "";
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    const shadow = /[1-9]/.test(style.boxShadow.replace(/rgba?\\([^)]*\\)/g, ""));
    const tag = el.tagName.toLowerCase();
    const implicit = {a: "link", button: "button", input: "field", textarea: "field"};
    return {
        role: el.getAttribute("role") || implicit[tag] || (tag === "select" ? "field" : tag),
        name: name.replace(/\\s+/g, " ").trim(),
        visible: outline || shadow,
        html: el.outerHTML.slice(0, 160),
    };
}"""


class Keyboard:
    """Moves focus with Tab until the wanted element has it, checking each stop's focus ring."""

    def __init__(self, page):
        self.page = page
        self.presses = 0
        self.unseen_focus: list[str] = []

    def tab_to(self, kind: str, name: str | re.Pattern, backwards: bool = False) -> int:
        """Press Tab (Shift+Tab) until the `kind` named `name` has focus; return the presses
        (0 when the page already put focus there, e.g. with autofocus)."""
        for count in range(MAX_TABS + 1):
            if count:
                self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
                self.presses += 1
            focused = self.page.evaluate(FOCUSED)
            if focused is None:
                continue
            if not focused["visible"]:
                self.unseen_focus.append(f"{self.page.url}: {focused['html']}")
            if focused["role"] == kind and _matches(name, focused["name"]):
                return count
        raise AssertionError(
            f"{MAX_TABS} Tab presses on {self.page.url} never reached the {kind} {name!r}"
        )

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def press(self, key: str) -> None:
        self.presses += 1
        self.page.keyboard.press(key)


def _matches(name: str | re.Pattern, text: str) -> bool:
    return bool(name.fullmatch(text)) if isinstance(name, re.Pattern) else name == text


def test_create_a_service_with_the_keyboard_alone(page, live_server, demo):
    base = live_server.url
    keys = Keyboard(page)
    page.goto(f"{base}/accounts/login/")

    keys.tab_to("field", "Username or e-mail")
    keys.type("bob")
    keys.tab_to("field", "Password")
    keys.type(DEMO_PASSWORD)
    keys.press("Enter")
    page.wait_for_url(f"{base}/")

    keys.tab_to("link", "Create a service")
    keys.press("Enter")
    page.wait_for_url(f"{base}/provisioning/create-service/")

    keys.tab_to("button", "Use Python HTTP service")
    keys.press("Enter")
    page.wait_for_url(f"{base}/provisioning/create-service/python-http/")

    keys.tab_to("field", "Service name")
    keys.type("keyboard-api")
    keys.tab_to("field", "What it does")
    keys.type("Answers without a mouse")
    keys.tab_to("button", "Show the plan")
    keys.press("Enter")
    page.get_by_role("heading", name="The plan").wait_for()

    tabs_to_create = keys.tab_to("button", "Create keyboard-api")
    keys.press("Enter")
    page.wait_for_url("**/provisioning/requests/*/")

    print(f"keyboard-only: {keys.presses} key presses from sign-in to Create")
    assert not keys.unseen_focus, "focus not shown (no outline or box-shadow) on:\n" + "\n".join(
        keys.unseen_focus
    )
    assert tabs_to_create <= TABS_FROM_PLAN_TO_CREATE, (
        f"{tabs_to_create} Tab presses from 'Show the plan' to 'Create keyboard-api'"
    )


def test_a_link_drawn_as_a_button_answers_space_as_a_button_does(page, live_server, demo):
    """`role="button"` promises the button keys: Space activates it (WCAG 2.1.1, ARIA's button
    pattern), where a plain link would scroll the page instead."""
    keys = Keyboard(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username or e-mail").fill("bob")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/provisioning/create-service/")
    keys.tab_to("button", "Use Python HTTP service")
    keys.press("Space")
    page.wait_for_url(f"{live_server.url}/provisioning/create-service/python-http/")
