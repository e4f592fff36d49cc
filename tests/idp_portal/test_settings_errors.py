"""A configuration mistake stops start-up with one line naming the variable, not a traceback."""

import secrets

import pytest

from tests.helpers import run_portal

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "portal.example.com",
}


@pytest.mark.parametrize(
    ("env", "variable", "hint"),
    [
        ({"DEBUG": "false"}, "SECRET_KEY", "SECRET_KEY=$("),
        ({"DEBUG": "false", "SECRET_KEY": "short"}, "SECRET_KEY", "50 or more"),
        ({"DEBUG": "maybe"}, "DEBUG", "use true or false"),
        ({"DEBUG": "true", "DATABASE_URL": "mysql://db/portal"}, "DATABASE_URL", "postgres://"),
        (
            {"DEBUG": "true", "DATABASE_URL": "postgres://host:notaport/db"},
            "DATABASE_URL",
            "postgres://",
        ),
        ({"DEBUG": "true", "CELERY_BROKER_URL": "127.0.0.1:6379"}, "CELERY_BROKER_URL", "redis://"),
        ({"DEBUG": "true", "CACHE_URL": "memcached://x"}, "CACHE_URL", "redis://"),
        (
            {"DEBUG": "true", "CELERY_TASK_TIME_LIMIT": "ten"},
            "CELERY_TASK_TIME_LIMIT",
            "whole number",
        ),
        ({"DEBUG": "true", "GIT_HOST": "bitbucket"}, "GIT_HOST", "local, github or gitlab"),
        (
            {"DEBUG": "true", "GITOPS_REPOSITORY_NAME": "../gitops"},
            "GITOPS_REPOSITORY_NAME",
            "not a repository name",
        ),
        ({"DEBUG": "true", "OIDC_CLIENT_ID": "portal"}, "OIDC_SERVER_URL", "https://"),
    ],
)
def test_bad_setting_stops_start_up_with_one_readable_line(tmp_path, env, variable, hint):
    result = run_portal(["check"], {"IDP_DATA_DIR": str(tmp_path), **env})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("configuration error: ")
    assert variable in lines[0] and hint in lines[0]
    assert "Traceback" not in result.stderr


def test_production_settings_pass_the_deploy_check_without_warnings(tmp_path):
    result = run_portal(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {"IDP_DATA_DIR": str(tmp_path), **PRODUCTION},
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_development_defaults_need_no_variables(tmp_path):
    result = run_portal(["check"], {"IDP_DATA_DIR": str(tmp_path), "DEBUG": "true"})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "broker" / "queue").is_dir()
