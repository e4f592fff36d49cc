"""Showing audit event payloads: `{{ event.before|pretty_json }}`."""

import json

from django import template

register = template.Library()


@register.filter
def pretty_json(value) -> str:
    """A before/after payload indented for reading; the template escapes it."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
