"""No dead ends: signed in as each demo persona, follow every link and GET form the portal
draws, breadth-first from the home page, and fail on what would stop a newcomer.

Fails on: a 500; a 404 (or another 4xx, e.g. a 403 for this persona) behind a link or form the
portal itself drew; an HTML page with no way back (a link home in the header navigation or a
breadcrumb); a page that says it is not finished ("not implemented", "coming soon", "TODO"…).
Each failure names the URL and the page that linked to it. Downloads (CSV, Terraform) and the
JSON API are fetched, not parsed; the Django admin is fetched, not crawled (it is Django's own
UI); POST forms and signing out are never sent.
"""

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import Resolver404, resolve

from tests.provisioning.conftest import default_environment

PERSONAS = ["bob", "alice", "carol", "admin", "nobody"]  # nobody: signed out (sign-in, reset)
MAX_DEPTH = 3
MAX_PAGES = 200  # per persona
MAX_PER_ROUTE = 5  # pages per URL pattern: 32 service pages or 600 requests teach little more
UNFINISHED = re.compile(r"(?i:not implemented|does not exist yet|coming soon)|\bTODO\b")
NEVER_FETCH = ("/accounts/logout/",)
FETCH_ONLY = ("/admin/", "/api/", "/static/")


@dataclass
class Page:
    """What the crawl reads from one HTML page."""

    links: list[str] = field(default_factory=list)
    get_forms: list[str] = field(default_factory=list)
    home_link_in_nav: bool = False
    text: list[str] = field(default_factory=list)


class PageParser(HTMLParser):
    """Links, GET forms with their default values, a link home inside <header>/<nav>, and the
    visible text (not scripts, styles or code listings)."""

    SKIP_TEXT = {"script", "style", "pre", "code", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.open: list[str] = []
        self.form: dict | None = None
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if tag not in {"input", "br", "img", "meta", "link", "hr", "source", "wbr"}:
            self.open.append(tag)
        if tag == "a" and "href" in attrs:
            self.page.links.append(attrs["href"])
            if attrs["href"] == "/" and {"header", "nav"} & set(self.open):
                self.page.home_link_in_nav = True
        elif tag == "form":
            get = attrs.get("method", "get").lower() == "get"
            self.form = {"action": attrs.get("action", ""), "fields": [], "get": get}
        elif self.form is not None:
            self._form_field(tag, attrs)

    def _form_field(self, tag, attrs):
        name, kind = attrs.get("name"), attrs.get("type", "text").lower()
        if tag == "input" and name and kind not in {"submit", "button", "image", "file"}:
            if kind not in {"checkbox", "radio"} or "checked" in attrs:
                self.form["fields"].append(
                    (name, attrs.get("value", "on" if kind in {"checkbox", "radio"} else ""))
                )
        elif tag == "select" and name:
            self.select = name
            self.form["fields"].append((name, None))  # the first option, unless one is selected
        elif tag == "option" and self.select:
            self._option(attrs)
        elif tag == "textarea" and name:
            self.textarea = name
            self.form["fields"].append((name, ""))

    def _option(self, attrs):
        fields = self.form["fields"]
        index = max(i for i, (name, _) in enumerate(fields) if name == self.select)
        if fields[index][1] is None or "selected" in attrs:
            fields[index] = (self.select, attrs.get("value", ""))

    def handle_endtag(self, tag):
        if tag in self.open:
            while self.open and self.open.pop() != tag:
                pass
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "form" and self.form is not None:
            if self.form["get"]:
                fields = [(name, value or "") for name, value in self.form["fields"]]
                self.page.get_forms.append(f"{self.form['action']}?{urlencode(fields)}")
            self.form = None

    def handle_data(self, data):
        if self.textarea and self.form is not None:
            name, _ = self.form["fields"][-1]
            self.form["fields"][-1] = (name, data)
        if not self.SKIP_TEXT & set(self.open):
            self.page.text.append(data)


def normalise(url: str, base: str) -> str | None:
    """The portal URL `url` points at from `base`, with sorted query parameters; None for
    other hosts, fragments alone and non-HTTP schemes."""
    if not url or url.startswith("#"):
        return None
    parts = urlsplit(urljoin(f"http://testserver{base}", url))
    if parts.scheme not in {"http", "https"} or parts.netloc != "testserver":
        return None
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return parts.path + (f"?{query}" if query else "")


def route_of(url: str) -> str:
    path = urlsplit(url).path
    try:
        return resolve(path).route
    except Resolver404:
        return path


@dataclass
class Crawl:
    client: object
    problems: list[str] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    per_route: dict[str, int] = field(default_factory=dict)
    pages: int = 0

    def run(self, start: str = "/") -> None:
        queue = deque([(start, "(start)", 0)])
        self.seen.add(start)
        while queue and self.pages < MAX_PAGES:
            url, referrer, depth = queue.popleft()
            for target in self.visit(url, referrer, depth):
                if target not in self.seen and self.take(target):
                    self.seen.add(target)
                    queue.append((target, url, depth + 1))

    def take(self, url: str) -> bool:
        """Whether to fetch `url`: its URL pattern has not had its share of pages yet."""
        route = route_of(url)
        self.per_route[route] = self.per_route.get(route, 0) + 1
        return self.per_route[route] <= MAX_PER_ROUTE

    def visit(self, url: str, referrer: str, depth: int) -> list[str]:
        """GET `url`, record what is wrong with it; return the URLs it leads to."""
        self.pages += 1
        response = self.client.get(url)
        where = f"{url} (linked from {referrer})"
        if response.status_code >= 500:
            self.problems.append(f"{response.status_code} at {where}")
            return []
        if response.status_code >= 400:  # 404, and 403: a link drawn for someone it refuses
            self.problems.append(f"{response.status_code} at {where}: the portal drew a dead link")
            return []
        if response.status_code in (301, 302, 303, 307, 308):
            target = normalise(response["Location"], url)
            return [target] if target and self.may_fetch(target) else []
        if not response["Content-Type"].startswith("text/html") or url.startswith(FETCH_ONLY):
            return []
        return self.read(url, referrer, depth, response.content.decode())

    def read(self, url: str, referrer: str, depth: int, html: str) -> list[str]:
        parser = PageParser()
        parser.feed(html)
        page = parser.page
        where = f"{url} (linked from {referrer})"
        if not page.home_link_in_nav:
            self.problems.append(f"no way back (no link home in a header or breadcrumb) at {where}")
        text = " ".join(" ".join(page.text).split())
        if found := UNFINISHED.search(text):
            context = text[max(0, found.start() - 60) : found.end() + 60]
            self.problems.append(f"unfinished page ({found.group()!r}: …{context}…) at {where}")
        if depth >= MAX_DEPTH:
            return []
        targets = (normalise(link, url) for link in page.links + page.get_forms)
        return [target for target in targets if target and self.may_fetch(target)]

    @staticmethod
    def may_fetch(url: str) -> bool:
        return not url.startswith(NEVER_FETCH)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The `make dev` demo data, made once for every persona's crawl and rolled back after."""
    with django_db_blocker.unblock(), transaction.atomic():
        for name in ("dev", "staging", "prod"):
            default_environment(name)
        call_command("seed_demo", verbosity=0)
        yield
        transaction.set_rollback(True)


@pytest.mark.parametrize("username", PERSONAS)
def test_every_link_leads_somewhere_useful(username, demo, db, client, django_user_model):
    if username != "nobody":
        client.force_login(django_user_model.objects.get(username=username))
    crawl = Crawl(client)
    crawl.run("/")
    print(f"{username}: {crawl.pages} pages fetched; links per URL pattern: {crawl.per_route}")
    least = 3 if username == "nobody" else 20
    assert crawl.pages > least, f"the crawl reached only {crawl.pages} pages: {sorted(crawl.seen)}"
    assert not crawl.problems, (
        f"{len(crawl.problems)} dead end(s) for {username}, after {crawl.pages} pages:\n"
        + "\n".join(crawl.problems)
    )


def test_the_crawl_reads_links_get_forms_and_the_way_home():
    parser = PageParser()
    parser.feed(
        '<header><nav><a href="/">Home</a></nav></header><main><a href="/catalog/?b=2&a=1">x</a>'
        '<form action="/catalog/"><input name="q" value="pay"><select name="tier">'
        '<option value="">Any</option><option value="1" selected>1</option></select>'
        '<input type="checkbox" name="mine"><button>Filter</button></form>'
        '<form method="post" action="/x/"><input name="y"></form>'
        "<pre>TODO in a generated file</pre><p>Ready.</p></main>"
    )
    page = parser.page
    assert page.home_link_in_nav
    assert page.get_forms == ["/catalog/?q=pay&tier=1"]
    assert normalise(page.links[1], "/") == "/catalog/?a=1&b=2"
    assert not UNFINISHED.search(" ".join(page.text))


def test_the_crawl_stays_on_the_portal():
    assert normalise("https://github.com/org/repo", "/") is None
    assert normalise("#plan", "/") is None
    assert normalise("mailto:team@example.com", "/") is None
    assert normalise("../requests/#log", "/provisioning/approvals/") == "/provisioning/requests/"


def test_a_page_without_a_way_home_or_unfinished_is_reported():
    crawl = Crawl(client=None)
    crawl.read("/lost/", "/", 0, "<main><h1>Lost</h1><p>Coming soon.</p></main>")
    assert [problem.split(" at ")[0] for problem in crawl.problems] == [
        "no way back (no link home in a header or breadcrumb)",
        "unfinished page ('Coming soon': …Lost Coming soon.…)",
    ]
