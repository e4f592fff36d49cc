"""The Vault driver with the real hvac client against a contract server: exact calls, repeat,
converge, drift, delete, check-and-set races, secrecy of values and error mapping."""

import logging
import socket
import traceback

import pytest

from provisioning.drivers import vault as vault_module
from provisioning.drivers.base import (
    NotConnectedError,
    PermanentError,
    PlannedResource,
    ResourceMissing,
    TransientError,
)
from provisioning.drivers.vault import (
    NOT_CONNECTED,
    CheckAndSetMismatch,
    VaultDriver,
    duration_seconds,
)
from tests.contract_server import VaultServer

TOKEN = "hvs.portal-test-token"
NAME = "secret/payments/petstore/dev"
TAGS = {"team": "payments", "service": "petstore", "environment": "dev", "cost-center": "cc-1234"}
POLICY = """path "secret/data/payments/petstore/dev/*" {
  capabilities = ["read", "list"]
}
path "secret/metadata/payments/petstore/dev/*" {
  capabilities = ["read", "list"]
}
"""
AUTH = {
    "mount": "kubernetes",
    "role": "payments-petstore-dev",
    "service_account_names": ["petstore"],
    "namespaces": ["payments-petstore-dev"],
    "ttl": "1h",
}
ROLE_PATH = "/v1/auth/kubernetes/role/payments-petstore-dev"
POLICY_PATH = "/v1/sys/policies/acl/payments-petstore-dev"
METADATA_PATH = "/v1/secret/metadata/payments/petstore/dev"
DB_PATH = "/v1/secret/data/payments/petstore/dev/database"
CREDENTIALS = {
    "username": "petstore",
    "password": "s3cr3t-Pa55w0rd-never-logged",
    "host": "db.internal",
    "port": "5432",
    "dbname": "petstore",
}


def planned_path(tags: dict | None = None, **config) -> PlannedResource:
    base = {
        "mount": "secret",
        "path": "payments/petstore/dev",
        "max_versions": 10,
        "policy_name": "payments-petstore-dev",
        "policy_hcl": POLICY,
        "kubernetes_auth": AUTH,
    }
    config = base | config
    name = f"{config['mount']}/{config['path']}"
    return PlannedResource("vault", "kv-path", name, TAGS if tags is None else tags, config)


def planned_secret(keys: list[str] | None = None) -> PlannedResource:
    config = {
        "mount": "secret",
        "path": "payments/petstore/dev/database",
        "keys": keys or list(CREDENTIALS),
    }
    return PlannedResource("vault", "kv-secret", f"{NAME}/database", TAGS, config)


@pytest.fixture
def vault(settings):
    with VaultServer(TOKEN) as server:
        settings.VAULT_ADDR = server.url
        settings.VAULT_TOKEN = TOKEN
        settings.VAULT_K8S_AUTH_ROLE = ""
        yield server


@pytest.fixture
def driver():
    return VaultDriver()


# --- kv-path ---------------------------------------------------------------------------------


def test_a_fresh_path_gets_metadata_policy_and_role_in_order(vault, driver):
    result = driver.ensure(planned_path())

    assert vault.lines() == [
        "GET /v1/sys/mounts/secret",
        f"GET {METADATA_PATH}",
        f"POST {METADATA_PATH}",
        f"GET {POLICY_PATH}",
        f"PUT {POLICY_PATH}",
        f"GET {ROLE_PATH}",
        f"POST {ROLE_PATH}",
    ]
    metadata, policy, role = (vault.calls[i].body for i in (2, 4, 6))
    assert metadata == {"delete_version_after": "0s", "max_versions": 10, "custom_metadata": TAGS}
    assert policy == {"policy": POLICY}
    assert role == {
        "bound_service_account_names": ["petstore"],
        "bound_service_account_namespaces": ["payments-petstore-dev"],
        "token_policies": ["payments-petstore-dev"],
        "token_ttl": 3600,
    }
    assert (result.outcome, result.identifier) == ("created", NAME)
    assert result.details["parts"] == {
        "mount": "unchanged",
        "metadata": "created",
        "policy": "created",
        "kubernetes_auth_role": "created",
    }
    assert all(call.headers["x-vault-token"] == TOKEN for call in vault.calls)


def test_a_second_ensure_only_reads(vault, driver):
    driver.ensure(planned_path())
    vault.calls.clear()

    result = VaultDriver().ensure(planned_path())

    assert result.outcome == "unchanged"
    assert vault.lines() == [
        "GET /v1/sys/mounts/secret",
        f"GET {METADATA_PATH}",
        f"GET {POLICY_PATH}",
        f"GET {ROLE_PATH}",
    ]
    assert driver.check_drift(planned_path()) == []


def test_a_changed_plan_rewrites_only_what_differs(vault, driver):
    driver.ensure(planned_path())
    vault.calls.clear()
    changed = planned_path(
        tags=TAGS | {"cost-center": "cc-9"}, kubernetes_auth=AUTH | {"ttl": "2h"}
    )

    result = driver.ensure(changed)

    assert vault.lines() == [
        "GET /v1/sys/mounts/secret",
        f"GET {METADATA_PATH}",
        f"POST {METADATA_PATH}",
        f"GET {POLICY_PATH}",
        f"GET {ROLE_PATH}",
        f"POST {ROLE_PATH}",
    ]
    assert result.outcome == "updated"
    assert result.message == f"updated {NAME} (metadata updated, kubernetes_auth_role updated)"
    assert vault.roles["auth/kubernetes/role/payments-petstore-dev"]["token_ttl"] == 7200


def test_drift_is_described_in_sentences(vault, driver):
    driver.ensure(planned_path())
    vault.policies["payments-petstore-dev"] = 'path "secret/*" { capabilities = ["read"] }'
    vault.kv["secret/payments/petstore/dev"]["metadata"]["max_versions"] = 3
    vault.roles["auth/kubernetes/role/payments-petstore-dev"][
        "bound_service_account_namespaces"
    ] = ["*"]

    assert driver.check_drift(planned_path()) == [
        f"{NAME}: max_versions is 3, the plan says 10",
        "policy payments-petstore-dev is not the planned text",
        "Kubernetes auth role payments-petstore-dev: bound_service_account_namespaces is ['*'], "
        "the plan says ['payments-petstore-dev']",
    ]
    assert driver.ensure(planned_path()).outcome == "updated"
    assert driver.check_drift(planned_path()) == []


def test_a_deleted_path_is_resource_missing(vault, driver):
    with pytest.raises(ResourceMissing, match=f"{NAME} no longer exists in Vault"):
        driver.check_drift(planned_path())


def test_a_missing_mount_is_enabled_as_kv_version_2(vault, driver):
    result = driver.ensure(planned_path(mount="kv-teams", kubernetes_auth=None))

    assert vault.lines()[:2] == ["GET /v1/sys/mounts/kv-teams", "POST /v1/sys/mounts/kv-teams"]
    enabled = vault.calls[1].body
    assert (enabled["type"], enabled["options"]) == ("kv", {"version": "2"})
    assert vault.mounts["kv-teams"]["options"] == {"version": "2"}
    assert result.details["parts"]["mount"] == "created"
    assert "kubernetes_auth_role" not in result.details["parts"]


def test_a_kv_version_1_mount_is_refused_with_what_to_do(vault, driver):
    vault.mounts["legacy"] = VaultServer._engine("kv", {"version": "1"}, "old")

    with pytest.raises(PermanentError) as raised:
        driver.ensure(planned_path(mount="legacy"))

    assert "the secrets engine at legacy/ is KV version 1, but the portal needs version 2" in str(
        raised.value
    )
    assert "vault kv enable-versioning legacy/" in str(raised.value)
    assert vault.lines() == ["GET /v1/sys/mounts/legacy"]


def test_a_mount_of_another_engine_is_refused(vault, driver):
    vault.mounts["pki"] = VaultServer._engine("pki", None, "certificates")

    with pytest.raises(PermanentError, match="the secrets engine at pki/ is 'pki', not KV"):
        driver.ensure(planned_path(mount="pki"))


def test_a_missing_auth_method_is_a_permanent_error(vault, driver):
    with pytest.raises(PermanentError) as raised:
        driver.ensure(planned_path(kubernetes_auth=AUTH | {"mount": "k8s-prod"}))

    assert (
        "Vault has nothing mounted where the portal tried to read the Kubernetes auth role"
        in str(raised.value)
    )
    assert "no handler for route" in str(raised.value)


def test_an_invalid_policy_is_refused_with_vaults_message(vault, driver):
    with pytest.raises(
        PermanentError,
        match="Vault refused to write the policy payments-petstore-dev: failed to parse policy",
    ):
        driver.ensure(planned_path(policy_hcl="read everything please"))


def test_decommission_deletes_role_policy_and_metadata_and_repeats(vault, driver):
    driver.ensure(planned_path())
    vault.calls.clear()

    driver.decommission(planned_path())
    result = driver.decommission(planned_path())

    assert (
        vault.lines()
        == [f"DELETE {ROLE_PATH}", f"DELETE {POLICY_PATH}", f"DELETE {METADATA_PATH}"] * 2
    )
    assert result.outcome == "deleted" and "secrets stored below it are kept" in result.message
    assert not vault.policies and not vault.roles and not vault.kv


# --- kv-secret -------------------------------------------------------------------------------


def test_a_new_secret_is_written_once_with_check_and_set_zero(vault, driver):
    result = driver.ensure(planned_secret(), secrets=CREDENTIALS)

    assert vault.lines() == ["GET /v1/sys/mounts/secret", f"GET {DB_PATH}", f"POST {DB_PATH}"]
    assert vault.calls[2].body == {"options": {"cas": 0}, "data": CREDENTIALS}
    assert (result.outcome, result.details) == (
        "created",
        {"keys_written": list(CREDENTIALS), "version": 1},
    )


def test_an_existing_secret_is_never_overwritten(vault, driver):
    vault.seed_secret(
        "secret", "payments/petstore/dev/database", CREDENTIALS | {"password": "older"}
    )

    result = driver.ensure(planned_secret(), secrets=CREDENTIALS)

    assert result.outcome == "unchanged"
    assert vault.lines() == ["GET /v1/sys/mounts/secret", f"GET {DB_PATH}"]
    assert driver.read_secret("secret", "payments/petstore/dev/database")["password"] == "older"


def test_missing_keys_are_added_in_a_new_version_keeping_existing_values(vault, driver):
    vault.seed_secret(
        "secret", "payments/petstore/dev/database", {"username": "app", "password": "older"}
    )

    result = driver.ensure(planned_secret(), secrets=CREDENTIALS)

    assert vault.calls[-1].body == {
        "options": {"cas": 1},
        "data": CREDENTIALS | {"username": "app", "password": "older"},
    }
    assert (result.outcome, result.details["keys_written"]) == (
        "updated",
        ["host", "port", "dbname"],
    )


def test_a_secret_written_by_someone_else_meanwhile_is_reused(vault, driver):
    # The other writer lands between the portal's read (404) and its write (check-and-set 0).
    vault.seed_secret(
        "secret", "payments/petstore/dev/database", CREDENTIALS | {"password": "theirs"}
    )
    vault.fail("GET", DB_PATH, 404, {"errors": []})

    result = driver.ensure(planned_secret(), secrets=CREDENTIALS)

    assert vault.lines() == [
        "GET /v1/sys/mounts/secret",
        f"GET {DB_PATH}",
        f"POST {DB_PATH}",
        f"GET {DB_PATH}",
    ]
    assert result.outcome == "unchanged"
    assert driver.read_secret("secret", "payments/petstore/dev/database")["password"] == "theirs"


def test_a_soft_deleted_secret_is_written_again_on_top_of_its_version(vault, driver):
    vault.seed_secret("secret", "payments/petstore/dev/database", CREDENTIALS)
    vault.kv["secret/payments/petstore/dev/database"]["versions"][1]["deletion_time"] = (
        "2025-02-01T00:00:00Z"
    )

    result = driver.ensure(planned_secret(), secrets=CREDENTIALS)

    assert result.outcome == "created"
    assert vault.calls[-1].body["options"] == {"cas": 1}


def test_values_not_supplied_are_a_permanent_error_naming_only_the_keys(vault, driver):
    with pytest.raises(PermanentError, match="no value was supplied for password of"):
        driver.ensure(
            planned_secret(), secrets={k: v for k, v in CREDENTIALS.items() if k != "password"}
        )


def test_secret_values_appear_only_in_the_write_body(vault, driver, caplog):
    caplog.set_level(logging.DEBUG)
    for noisy in ("hvac", "urllib3"):  # at INFO by settings; as if someone turned them on
        caplog.set_level(logging.DEBUG, logger=noisy)
    vault.fail("POST", DB_PATH, 503, message="Vault is sealed")

    with pytest.raises(TransientError) as failed:
        driver.ensure(planned_secret(), secrets=CREDENTIALS)
    result = driver.ensure(planned_secret(), secrets=CREDENTIALS)

    password = CREDENTIALS["password"]
    assert password not in "".join(traceback.format_exception(failed.value))
    assert password not in caplog.text
    assert password not in repr(result)
    carried = [call for call in vault.calls if password in repr(call.body)]
    assert [str(call) for call in carried] == [f"POST {DB_PATH}", f"POST {DB_PATH}"]
    assert all(call.body["data"]["password"] == password for call in carried)


def test_read_and_write_secret_for_the_engine(vault, driver):
    assert driver.read_secret("secret", "payments/petstore/dev/database") is None

    version = driver.write_secret(
        "secret", "payments/petstore/dev/database", {"password": "p1"}, cas=0
    )

    assert version == 1
    assert driver.read_secret("secret", "payments/petstore/dev/database") == {"password": "p1"}
    with pytest.raises(CheckAndSetMismatch):
        driver.write_secret("secret", "payments/petstore/dev/database", {"password": "p2"}, cas=0)
    assert vault.lines().count("GET /v1/sys/mounts/secret") == 1


def test_secret_drift_names_missing_keys(vault, driver):
    with pytest.raises(ResourceMissing):
        driver.check_drift(planned_secret())
    vault.seed_secret("secret", "payments/petstore/dev/database", {"username": "app"})

    assert driver.check_drift(planned_secret(["username", "password"])) == [
        f"the secret {NAME}/database lacks password"
    ]


# --- connection and errors -------------------------------------------------------------------


def test_not_connected_says_so_and_makes_no_call(vault, settings, driver):
    settings.VAULT_ADDR = ""

    assert VaultDriver.connection_status() == (False, NOT_CONNECTED)
    for attempt in (driver.ensure, driver.check_drift, driver.decommission):
        with pytest.raises(NotConnectedError) as raised:
            attempt(planned_path())
        assert str(raised.value) == NOT_CONNECTED
    assert vault.calls == []


def test_an_address_without_credentials_is_not_connected(settings):
    settings.VAULT_ADDR, settings.VAULT_TOKEN, settings.VAULT_K8S_AUTH_ROLE = (
        "http://v:8200",
        "",
        "",
    )

    connected, status = VaultDriver.connection_status()

    assert not connected and "neither VAULT_TOKEN nor VAULT_K8S_AUTH_ROLE" in status


def test_the_portal_logs_in_with_its_service_account(
    vault, settings, tmp_path, monkeypatch, driver
):
    jwt = tmp_path / "token"
    jwt.write_text("eyJ.portal.jwt\n")
    monkeypatch.setattr(vault_module, "SERVICE_ACCOUNT_TOKEN", jwt)
    settings.VAULT_TOKEN, settings.VAULT_K8S_AUTH_ROLE = "", "idp-portal"
    vault.roles["auth/kubernetes/role/idp-portal"] = {
        "token_policies": ["idp-portal"],
        "token_ttl": 3600,
    }
    vault.service_account_jwts["eyJ.portal.jwt"] = "idp-portal"

    driver.ensure(planned_path())

    login = vault.calls[0]
    assert (str(login), login.body) == (
        "POST /v1/auth/kubernetes/login",
        {"role": "idp-portal", "jwt": "eyJ.portal.jwt"},
    )
    issued = {call.headers.get("x-vault-token") for call in vault.calls[1:]}
    assert len(issued) == 1 and issued != {TOKEN} and issued <= vault.tokens


def test_a_kept_driver_whose_login_expired_logs_in_again_and_carries_on(
    vault, settings, tmp_path, monkeypatch, driver
):
    jwt = tmp_path / "token"
    jwt.write_text("eyJ.portal.jwt\n")
    monkeypatch.setattr(vault_module, "SERVICE_ACCOUNT_TOKEN", jwt)
    settings.VAULT_TOKEN, settings.VAULT_K8S_AUTH_ROLE = "", "idp-portal"
    vault.roles["auth/kubernetes/role/idp-portal"] = {"token_policies": ["p"], "token_ttl": 60}
    vault.service_account_jwts["eyJ.portal.jwt"] = "idp-portal"
    driver.ensure(planned_path())
    first = {call.headers.get("x-vault-token") for call in vault.calls[1:]}
    vault.tokens -= first  # the token expires while the worker keeps the driver

    result = driver.check_drift(planned_path())

    assert result == []
    logins = [c for c in vault.calls if str(c) == "POST /v1/auth/kubernetes/login"]
    assert len(logins) == 2
    assert vault.calls[-1].headers.get("x-vault-token") in vault.tokens - first


def test_a_refused_static_token_is_not_retried(vault, settings, driver):
    driver.ensure(planned_path())
    vault.tokens.clear()
    calls = len(vault.calls)

    with pytest.raises(PermanentError):
        driver.check_drift(planned_path())
    assert len(vault.calls) == calls + 1  # one refused call, no login, no repeat


def test_no_service_account_token_is_a_permanent_error(vault, settings, tmp_path, monkeypatch):
    monkeypatch.setattr(vault_module, "SERVICE_ACCOUNT_TOKEN", tmp_path / "absent")
    settings.VAULT_TOKEN, settings.VAULT_K8S_AUTH_ROLE = "", "idp-portal"

    with pytest.raises(
        PermanentError, match="run the portal in a pod with a service account, or set VAULT_TOKEN"
    ):
        VaultDriver().ensure(planned_path())
    assert vault.calls == []


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_throttling_and_server_errors_are_transient(vault, driver, status):
    vault.fail("GET", "/v1/sys/mounts/secret", status)

    with pytest.raises(
        TransientError, match="Vault could not read the secrets engine at secret/ just now"
    ):
        driver.ensure(planned_path())


def test_a_refused_connection_is_transient(settings, driver):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        settings.VAULT_ADDR = f"http://127.0.0.1:{probe.getsockname()[1]}"
    settings.VAULT_TOKEN = TOKEN

    with pytest.raises(TransientError, match="could not reach Vault to read the secrets engine"):
        driver.ensure(planned_path())


def test_a_slow_vault_is_a_transient_timeout(vault, driver):
    driver.timeout = 0.2
    vault.fail("GET", METADATA_PATH, None, delay=0.5)

    with pytest.raises(TransientError, match="could not reach Vault to read the metadata of"):
        driver.ensure(planned_path())


def test_forbidden_says_what_the_portal_may_not_do(vault, driver):
    vault.fail("PUT", POLICY_PATH, 403, message="permission denied")

    with pytest.raises(PermanentError) as raised:
        driver.ensure(planned_path())

    assert str(raised.value) == (
        "the portal's credentials may not write the policy payments-petstore-dev: ask the "
        "platform team to grant it (Vault said: permission denied)"
    )


def test_a_revoked_token_is_permanent(vault, settings, driver):
    settings.VAULT_TOKEN = "hvs.revoked"

    with pytest.raises(PermanentError, match="may not read the secrets engine at secret/"):
        driver.ensure(planned_path())


def test_a_name_that_is_not_mount_slash_path_is_refused(vault, driver):
    resource = PlannedResource("vault", "kv-path", "secret/other", TAGS, planned_path().config)

    with pytest.raises(PermanentError, match="the name must be <mount>/<path>"):
        driver.ensure(resource)
    assert vault.calls == []


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1h", 3600), ("90m", 5400), ("1h30m", 5400), ("45s", 45), ("3600", 3600), (600, 600)],
)
def test_durations_read_like_vaults(text, seconds):
    assert duration_seconds(text) == seconds


def test_a_duration_vault_would_refuse_is_a_permanent_error():
    with pytest.raises(PermanentError, match="'one hour' is not a duration: write it like 1h"):
        duration_seconds("one hour")
