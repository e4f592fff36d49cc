"""`manage.py dev`'s command lines: the web server reloads on changes unless --noreload."""

import pytest

from idp_portal.management.commands.dev import Command


@pytest.fixture
def command(monkeypatch):
    # With an endpoint set, processes() starts no moto and leaves os.environ alone.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5999")
    return Command()


def test_the_web_server_reloads_on_changes_by_default(command):
    options = command.create_parser("manage.py", "dev").parse_args([])
    web = command.processes("127.0.0.1:8000", options.noreload)["web"]
    assert web[-2:] == ["runserver", "127.0.0.1:8000"]


def test_noreload_starts_the_web_server_without_the_autoreloader(command):
    options = command.create_parser("manage.py", "dev").parse_args(["--noreload"])
    processes = command.processes("127.0.0.1:8001", options.noreload)
    assert processes["web"][-3:] == ["runserver", "127.0.0.1:8001", "--noreload"]
    assert "--noreload" not in processes["worker"] + processes["beat"]
