"""Backstage's entity-name rules, exactly as its validator states them."""

import re

from django.core.exceptions import ValidationError

NAME_RE = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
NAMESPACE_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_LENGTH = 63


def name_problem(value: object) -> str | None:
    """Why `value` is not a valid entity name, or None when it is."""
    if not isinstance(value, str) or not value:
        return "a name is required: 1–63 letters, digits, '-', '_' or '.'"
    if len(value) > MAX_LENGTH:
        return f"'{value[:20]}…' is {len(value)} characters long: use at most {MAX_LENGTH}"
    if not NAME_RE.match(value):
        return (
            f"'{value}' is not a valid name: use letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit"
        )
    return None


def namespace_problem(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return "a namespace is required, e.g. 'default'"
    if len(value) > MAX_LENGTH:
        return f"namespace '{value[:20]}…' is longer than {MAX_LENGTH} characters"
    if not NAMESPACE_RE.match(value):
        return f"'{value}' is not a valid namespace: use lowercase letters, digits and single '-'"
    return None


def validate_entity_name(value: str) -> None:
    if problem := name_problem(value):
        raise ValidationError(problem)


def validate_namespace(value: str) -> None:
    if problem := namespace_problem(value):
        raise ValidationError(problem)
