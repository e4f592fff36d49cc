"""Signing in through the sign-in page, as a person does, for the browser tests."""

from tests.factories import PASSWORD


def sign_in(page, base: str, username: str, password: str = PASSWORD, next_path: str = "") -> None:
    """Fill in and send the sign-in form; wait for the page it leads to (the home page, or
    `next_path` when the sign-in page was opened with it)."""
    page.goto(f"{base}/accounts/login/" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Username or e-mail").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{next_path or '/'}")
