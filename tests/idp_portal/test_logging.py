"""LOG_LEVEL=DEBUG never turns on the libraries that log secrets at DEBUG."""

import json

import pytest

from tests.helpers import run_portal

LEVELS_IN_CHILD = (
    "import django, json, logging; django.setup();"
    "names = ['botocore', 'boto3', 'urllib3', 's3transfer', 'hvac', 'botocore.endpoint',"
    " 'catalog', 'root'];"
    "print(json.dumps({n: logging.getLevelName("
    "(logging.getLogger() if n == 'root' else logging.getLogger(n)).getEffectiveLevel())"
    " for n in names}))"
)


def effective_levels(tmp_path, level: str) -> dict[str, str]:
    result = run_portal(
        ["-c", LEVELS_IN_CHILD],
        {"DEBUG": "true", "IDP_DATA_DIR": str(tmp_path), "LOG_LEVEL": level},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def under_debug(tmp_path_factory):
    """One child process for the LOG_LEVEL=DEBUG tests."""
    return effective_levels(tmp_path_factory.mktemp("debug"), "DEBUG")


@pytest.mark.parametrize("name", ["botocore", "boto3", "urllib3", "s3transfer", "hvac"])
def test_secret_logging_libraries_stay_at_info_under_debug(under_debug, name):
    assert under_debug[name] == "INFO"


def test_debug_still_reaches_the_portals_own_loggers(under_debug):
    levels = under_debug
    assert levels["catalog"] == levels["root"] == "DEBUG"
    assert levels["botocore.endpoint"] == "INFO"  # the child that logs request bodies


def test_a_quieter_level_quiets_the_libraries_too(tmp_path):
    """Raising them to INFO must not make them louder than the rest (WARNING)."""
    assert effective_levels(tmp_path, "WARNING")["botocore"] == "WARNING"
