"""Typed readers for settings that come from the environment.

Each reader fails with `SettingsError`, whose message names the variable and what its value
should look like, so start-up stops with one readable line instead of a traceback.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url


class SettingsError(Exception):
    """A setting read from the environment is missing or malformed."""


TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise SettingsError(f"{name}={raw!r} is not a boolean: use true or false")


def envint(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(
            f"{name}={raw!r} is not a whole number, e.g. {name}={default}"
        ) from None
    if value < minimum:
        raise SettingsError(f"{name}={value} is too small: use {minimum} or more")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def envpath(name: str, default: Path) -> Path:
    raw = envstr(name)
    return Path(raw).expanduser().resolve() if raw else default


def envdatabase(name: str, default: str) -> dict:
    """Parse a database URL such as postgres://user@host:5432/db or sqlite:////path/db.sqlite3."""
    raw = envstr(name) or default
    example = f"{name}=postgres://user:password@127.0.0.1:5432/idp_portal"
    scheme = urlsplit(raw).scheme
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise SettingsError(
            f"{name}={raw!r} is not a PostgreSQL or SQLite URL: use e.g. {example} "
            "(or leave it unset for SQLite in the data folder)"
        )
    try:
        config = dj_database_url.parse(raw, conn_max_age=600, conn_health_checks=True)
    except ValueError as exc:
        raise SettingsError(
            f"{name}={raw!r} cannot be parsed ({exc}): use e.g. {example}"
        ) from None
    if not config.get("NAME"):
        raise SettingsError(f"{name}={raw!r} names no database: use e.g. {example}")
    return config


def envurl(name: str, schemes: set[str], example: str, default: str = "") -> str:
    """A URL whose scheme must be one of `schemes`; empty when unset."""
    raw = envstr(name, default)
    if raw and urlsplit(raw).scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        raise SettingsError(
            f"{name}={raw!r} must start with one of {allowed}: e.g. {name}={example}"
        )
    return raw
