"""Status and "test connection" of the integrations the apps do not answer for themselves
(registered in idp_portal/integrations.py). Each test makes one harmless read call."""

from django.conf import settings

from idp_portal.integrations import configured


class CheckFailed(Exception):
    """The read call failed; the message says why and which setting to fix."""


# --- AWS: sts get-caller-identity ------------------------------------------------------------


def aws_status() -> tuple[bool, str]:
    from provisioning.drivers.aws.driver import AwsDriver

    connected, text = AwsDriver.connection_status()
    return connected, text if not connected else f"configured: {text}"


def aws_test() -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    from provisioning.drivers.aws.common import client_config, new_session

    endpoint = settings.AWS_ENDPOINT_URL or None
    sts = new_session().client(
        "sts",
        region_name=settings.AWS_DEFAULT_REGION,
        endpoint_url=endpoint,
        config=client_config(2, path_style=endpoint is not None),
    )
    try:
        identity = sts.get_caller_identity()
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        raise CheckFailed(
            f"AWS refused the credentials ({code}): fix AWS_ACCESS_KEY_ID / "
            "AWS_SECRET_ACCESS_KEY (or the role) "
        ) from None
    except BotoCoreError as exc:
        raise CheckFailed(f"AWS is unreachable ({exc}): check AWS_ENDPOINT_URL") from None
    return f"connected: account {identity.get('Account', '?')}"


# --- Kubernetes: GET /version ----------------------------------------------------------------


def kubernetes_status() -> tuple[bool, str]:
    from provisioning.drivers.kubernetes import KubernetesDriver

    return KubernetesDriver.connection_status()


def kubernetes_test() -> str:
    from kubernetes import client as k8s

    from provisioning.drivers.kubernetes import KubernetesDriver

    api = KubernetesDriver()._api_client("")
    try:
        version = k8s.VersionApi(api).get_code(_request_timeout=10)
    except Exception as exc:  # ApiException, urllib3 errors: all mean the same to the admin
        status = getattr(exc, "status", None)
        why = f"HTTP {status}" if status else exc.__class__.__name__
        raise CheckFailed(
            f"the Kubernetes API did not answer GET /version ({why}): check KUBECONFIG or "
            "the portal's service account"
        ) from None
    finally:
        api.close()
    return f"connected: Kubernetes {version.git_version}"


# --- Vault: token lookup-self ----------------------------------------------------------------


def vault_status() -> tuple[bool, str]:
    from provisioning.drivers.vault import VaultDriver

    return VaultDriver.connection_status()


def vault_test() -> str:
    from hvac import exceptions as vault_errors
    from requests import RequestException

    from provisioning.drivers.base import DriverError
    from provisioning.drivers.vault import VaultDriver

    try:
        answer = VaultDriver()._vault().auth.token.lookup_self()
    except vault_errors.Forbidden:
        raise CheckFailed(
            "Vault refused the token (HTTP 403): it is expired or revoked: set a new "
            "VAULT_TOKEN (or check VAULT_K8S_AUTH_ROLE)"
        ) from None
    except (vault_errors.VaultError, RequestException, DriverError) as exc:
        raise CheckFailed(f"Vault did not answer ({exc}): check VAULT_ADDR") from None
    ttl = (answer.get("data") or {}).get("ttl")
    return f"connected: token valid{f' for {ttl} s' if ttl else ''}"


# --- git host: provisioning.git_host (local bare repositories, or GitHub) ----------------------


def git_status() -> tuple[bool, str]:
    from provisioning.git_host import get_host

    return get_host().connection_status()


def git_test() -> str:
    """One read through the host: does the GitOps repository exist?"""
    from provisioning.drivers.base import DriverError
    from provisioning.git_host import GITOPS_REPOSITORY, get_host

    host = get_host()
    try:
        found = host.exists(GITOPS_REPOSITORY)
    except DriverError as exc:
        raise CheckFailed(f"{exc}: check GIT_HOST and its settings") from None
    where = host.location(GITOPS_REPOSITORY)
    return f"connected: {where} {'exists' if found else 'is not created yet'}"


# --- Prometheus, Loki, Tempo: their build-information reads ------------------------------------


def _stack_status(setting: str) -> tuple[bool, str]:
    url = configured(setting)
    return (True, f"configured: {url}") if url else (False, f"not connected: {setting} is not set")


def _stack_get(setting: str, path: str) -> object:
    from observability.stack import StackError, get_json

    base = configured(setting).rstrip("/")
    try:
        return get_json(f"{base}{path}")
    except StackError as exc:
        raise CheckFailed(f"{exc}: check {setting}") from None


def _version(body: object) -> str:
    data = body.get("data", body) if isinstance(body, dict) else {}
    return str(data.get("version", "unknown version")) if isinstance(data, dict) else "?"


def prometheus_status() -> tuple[bool, str]:
    return _stack_status("PROMETHEUS_URL")


def prometheus_test() -> str:
    body = _stack_get("PROMETHEUS_URL", "/api/v1/status/buildinfo")
    return f"connected: Prometheus {_version(body)}"


def loki_status() -> tuple[bool, str]:
    return _stack_status("LOKI_URL")


def loki_test() -> str:
    body = _stack_get("LOKI_URL", "/loki/api/v1/status/buildinfo")
    return f"connected: Loki {_version(body)}"


def tempo_status() -> tuple[bool, str]:
    return _stack_status("TEMPO_URL")


def tempo_test() -> str:
    body = _stack_get("TEMPO_URL", "/api/status/buildinfo")
    return f"connected: Tempo {_version(body)}"
