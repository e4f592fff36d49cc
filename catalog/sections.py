"""Sections that other apps add to the service and team pages, without `catalog` importing
them.

An app registers a section in its AppConfig.ready():

    from catalog.sections import register_service_section
    register_service_section("resources", "Resources", "provisioning/sections/resources.html",
                             context=resources_context, order=30)

`context(request, component)` returns the template's context; the section renders in that order.
A section whose template renders only whitespace is left out of the page.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.template.loader import render_to_string


@dataclass(frozen=True)
class PageSection:
    key: str
    title: str
    template: str
    context: Callable[[HttpRequest, object], dict]
    order: int = 100


_SECTIONS: dict[str, PageSection] = {}  # the service page's
_TEAM_SECTIONS: dict[str, PageSection] = {}  # the team page's


def register_service_section(
    key: str,
    title: str,
    template: str,
    context: Callable[[HttpRequest, object], dict],
    order: int = 100,
) -> None:
    """Add (or replace, by key) a section of the service page; `context(request, component)`."""
    _SECTIONS[key] = PageSection(key, title, template, context, order)


def unregister_service_section(key: str) -> None:
    _SECTIONS.pop(key, None)


def register_team_section(
    key: str,
    title: str,
    template: str,
    context: Callable[[HttpRequest, object], dict],
    order: int = 100,
) -> None:
    """Add (or replace, by key) a section of the team page; `context(request, team)`."""
    _TEAM_SECTIONS[key] = PageSection(key, title, template, context, order)


def _render(sections: dict[str, PageSection], request: HttpRequest, name: str, obj) -> list[dict]:
    """Each section as {key, title, html}, in order; a section with nothing to say for this
    object is left out, heading too. The template sees `obj` as `name`."""
    rendered = []
    for section in sorted(sections.values(), key=lambda s: (s.order, s.key)):
        context = {name: obj, **section.context(request, obj)}
        html = render_to_string(section.template, context, request=request)
        if html.strip():
            rendered.append({"key": section.key, "title": section.title, "html": html})
    return rendered


def render_service_sections(request: HttpRequest, component) -> list[dict]:
    return _render(_SECTIONS, request, "component", component)


def render_team_sections(request: HttpRequest, team) -> list[dict]:
    return _render(_TEAM_SECTIONS, request, "team", team)
