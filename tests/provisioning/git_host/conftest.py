"""A GitHub contract server per test, failing the test on any request GitHub would refuse."""

import pytest

from tests.provisioning.github_server import GitHubServer


@pytest.fixture
def github(tmp_path):
    with GitHubServer(tmp_path / "github") as server:
        server.teams.add("payments")
        yield server
    assert server.violations == [], "requests GitHub's API description refuses"
