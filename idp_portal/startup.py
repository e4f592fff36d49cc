"""Turn a configuration mistake into one readable line at start-up instead of a traceback."""

import importlib
import os
import sys

from idp_portal.env import SettingsError


def load_settings_or_exit() -> None:
    """Import the settings module; on a SettingsError print its message and exit with status 2."""
    try:
        importlib.import_module(os.environ.get("DJANGO_SETTINGS_MODULE", "idp_portal.settings"))
    except SettingsError as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        raise SystemExit(2) from None
