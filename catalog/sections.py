"""Sections that other apps add to the service page, without `catalog` importing them.

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
class ServiceSection:
    key: str
    title: str
    template: str
    context: Callable[[HttpRequest, object], dict]
    order: int = 100


_SECTIONS: dict[str, ServiceSection] = {}


def register_service_section(
    key: str,
    title: str,
    template: str,
    context: Callable[[HttpRequest, object], dict],
    order: int = 100,
) -> None:
    """Add (or replace, by key) a section of the service page."""
    _SECTIONS[key] = ServiceSection(key, title, template, context, order)


def unregister_service_section(key: str) -> None:
    _SECTIONS.pop(key, None)


def render_service_sections(request: HttpRequest, component) -> list[dict]:
    """Each registered section as {key, title, html}, in order."""
    rendered = []
    for section in sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key)):
        context = {"component": component, **section.context(request, component)}
        html = render_to_string(section.template, context, request=request)
        if not html.strip():
            continue  # a section with nothing to say for this service is left out, heading too
        rendered.append({"key": section.key, "title": section.title, "html": html})
    return rendered


_TEAM_SECTIONS: dict[str, ServiceSection] = {}


def register_team_section(
    key: str,
    title: str,
    template: str,
    context: Callable[[HttpRequest, object], dict],
    order: int = 100,
) -> None:
    """Add (or replace, by key) a section of the team page; `context(request, team)`."""
    _TEAM_SECTIONS[key] = ServiceSection(key, title, template, context, order)


def render_team_sections(request: HttpRequest, team) -> list[dict]:
    """Each registered team section as {key, title, html}, in order; empty ones left out."""
    rendered = []
    for section in sorted(_TEAM_SECTIONS.values(), key=lambda s: (s.order, s.key)):
        context = {"team": team, **section.context(request, team)}
        html = render_to_string(section.template, context, request=request)
        if html.strip():
            rendered.append({"key": section.key, "title": section.title, "html": html})
    return rendered
