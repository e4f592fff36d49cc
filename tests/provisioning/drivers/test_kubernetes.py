"""The Kubernetes driver with the real client against a contract server: exact calls, repeat,
converge, drift, delete, races and error mapping."""

import socket
from decimal import Decimal

import pytest

from provisioning.drivers.base import (
    NotConnectedError,
    PermanentError,
    PlannedResource,
    ResourceMissing,
    TransientError,
)
from provisioning.drivers.kubernetes import NOT_CONNECTED, KubernetesDriver, parse_quantity
from tests.contract_server import KubernetesApiServer, status_object, write_kubeconfig

NS = "payments-petstore-dev"
NS_PATH = f"/api/v1/namespaces/{NS}"
QUOTA_PATH = f"{NS_PATH}/resourcequotas/default-quota"
LIMITS_PATH = f"{NS_PATH}/limitranges/default-limits"
BINDING_PATH = f"/apis/rbac.authorization.k8s.io/v1/namespaces/{NS}/rolebindings/team-edit"
POLICY_PATH = f"/apis/networking.k8s.io/v1/namespaces/{NS}/networkpolicies/default-deny"
TAGS = {
    "team": "payments",
    "service": "petstore",
    "environment": "dev",
    "cost-center": "cc-1234",
    "managed-by": "idp-portal",
}
LABELS = TAGS | {"pod-security.kubernetes.io/enforce": "baseline"}
QUOTA = {
    "requests.cpu": "4",
    "requests.memory": "8Gi",
    "limits.cpu": "8",
    "limits.memory": "16Gi",
    "pods": "50",
}


def planned_namespace(tags: dict | None = None, **config) -> PlannedResource:
    base = {
        "cluster": "",
        "labels": {"pod-security.kubernetes.io/enforce": "baseline"},
        "quota": QUOTA,
        "limit_range": {
            "default": {"cpu": "500m", "memory": "512Mi"},
            "default_request": {"cpu": "100m", "memory": "128Mi"},
        },
        "team_group": "payments",
        "role": "edit",
        "default_deny": True,
    }
    return PlannedResource(
        "kubernetes", "namespace", NS, TAGS if tags is None else tags, base | config
    )


@pytest.fixture
def cluster(settings, tmp_path):
    with KubernetesApiServer() as server:
        kubeconfig = write_kubeconfig(
            tmp_path / "kubeconfig", server.url, server.token, ("test", "staging-eu")
        )
        settings.KUBECONFIG = str(kubeconfig)
        settings.KUBERNETES_IN_CLUSTER = False
        yield server


@pytest.fixture
def driver():
    return KubernetesDriver()


def test_a_fresh_ensure_makes_the_namespace_and_four_objects_in_order(cluster, driver):
    result = driver.ensure(planned_namespace())

    assert cluster.lines() == [
        f"GET {NS_PATH}",
        "POST /api/v1/namespaces",
        f"GET {QUOTA_PATH}",
        f"POST {NS_PATH}/resourcequotas",
        f"GET {LIMITS_PATH}",
        f"POST {NS_PATH}/limitranges",
        f"GET {BINDING_PATH}",
        f"POST /apis/rbac.authorization.k8s.io/v1/namespaces/{NS}/rolebindings",
        f"GET {POLICY_PATH}",
        f"POST /apis/networking.k8s.io/v1/namespaces/{NS}/networkpolicies",
    ]
    assert (result.outcome, result.identifier) == ("created", NS)
    assert result.details["objects"] == {
        f"Namespace/{NS}": "created",
        "ResourceQuota/default-quota": "created",
        "LimitRange/default-limits": "created",
        "RoleBinding/team-edit": "created",
        "NetworkPolicy/default-deny": "created",
    }


def test_the_bodies_it_sends_are_the_planned_objects(cluster, driver):
    driver.ensure(planned_namespace())

    posts = [call.body for call in cluster.calls if call.method == "POST"]
    namespace, quota, limits, binding, policy = posts
    assert namespace == {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": NS, "labels": LABELS},
    }
    assert quota["spec"] == {"hard": QUOTA} and quota["metadata"]["labels"] == LABELS
    assert limits["spec"] == {
        "limits": [
            {
                "type": "Container",
                "default": {"cpu": "500m", "memory": "512Mi"},
                "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
            }
        ]
    }
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": "edit",
    }
    assert binding["subjects"] == [
        {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "payments"}
    ]
    assert policy["spec"]["podSelector"] == {}
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    dns = policy["spec"]["egress"]
    assert dns[0]["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    assert dns[0]["to"][0]["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
    }
    assert "ingress" not in policy["spec"]


def test_a_second_ensure_only_reads(cluster, driver):
    driver.ensure(planned_namespace())
    cluster.calls.clear()

    result = KubernetesDriver().ensure(planned_namespace())

    assert result.outcome == "unchanged"
    assert cluster.lines() == [
        f"GET {path}" for path in (NS_PATH, QUOTA_PATH, LIMITS_PATH, BINDING_PATH, POLICY_PATH)
    ]
    assert result.message == f"unchanged namespace {NS}"


def test_a_quota_written_in_other_units_is_unchanged(cluster, driver):
    driver.ensure(planned_namespace())
    quota = cluster.get(QUOTA_PATH)
    quota["spec"]["hard"] |= {"requests.memory": "8192Mi", "limits.cpu": "8000m"}
    cluster.put(QUOTA_PATH, quota)

    assert driver.ensure(planned_namespace()).outcome == "unchanged"


def test_ensure_converges_what_was_changed_by_hand(cluster, driver):
    driver.ensure(planned_namespace())
    namespace, quota = cluster.get(NS_PATH), cluster.get(QUOTA_PATH)
    namespace["metadata"]["labels"] |= {"team": "search", "owner-note": "kept"}
    quota["spec"]["hard"]["pods"] = "100"
    cluster.put(NS_PATH, namespace)
    cluster.put(QUOTA_PATH, quota)
    del cluster.objects[LIMITS_PATH]
    cluster.calls.clear()

    result = driver.ensure(planned_namespace())

    assert cluster.lines() == [
        f"GET {NS_PATH}",
        f"PATCH {NS_PATH}",
        f"GET {QUOTA_PATH}",
        f"PUT {QUOTA_PATH}",
        f"GET {LIMITS_PATH}",
        f"POST {NS_PATH}/limitranges",
        f"GET {BINDING_PATH}",
        f"GET {POLICY_PATH}",
    ]
    assert cluster.calls[1].body == {"metadata": {"labels": LABELS}}
    put = cluster.calls[3].body
    assert put["metadata"]["resourceVersion"] == quota["metadata"]["resourceVersion"]
    assert put["spec"]["hard"]["pods"] == "50"
    assert result.outcome == "updated"
    assert cluster.get(NS_PATH)["metadata"]["labels"]["owner-note"] == "kept"
    assert driver.check_drift(planned_namespace()) == []


def test_a_new_team_group_replaces_the_binding_subjects(cluster, driver):
    driver.ensure(planned_namespace())
    cluster.calls.clear()

    result = driver.ensure(planned_namespace(team_group="payments-oncall"))

    assert f"PUT {BINDING_PATH}" in cluster.lines()
    assert cluster.get(BINDING_PATH)["subjects"][0]["name"] == "payments-oncall"
    assert result.details["objects"]["RoleBinding/team-edit"] == "updated"


def test_a_binding_to_another_role_is_recreated_because_role_ref_is_immutable(cluster, driver):
    driver.ensure(planned_namespace())
    binding = cluster.get(BINDING_PATH)
    binding["roleRef"]["name"] = "view"
    cluster.put(BINDING_PATH, binding)
    cluster.calls.clear()

    driver.ensure(planned_namespace())

    assert cluster.lines()[3:6] == [
        f"GET {BINDING_PATH}",
        f"DELETE {BINDING_PATH}",
        f"POST /apis/rbac.authorization.k8s.io/v1/namespaces/{NS}/rolebindings",
    ]
    assert cluster.get(BINDING_PATH)["roleRef"]["name"] == "edit"


def test_without_default_deny_an_earlier_default_deny_is_deleted(cluster, driver):
    driver.ensure(planned_namespace())
    cluster.calls.clear()

    result = driver.ensure(planned_namespace(default_deny=False))

    assert cluster.lines()[-1] == f"DELETE {POLICY_PATH}"
    assert result.details["objects"]["NetworkPolicy/default-deny"] == "deleted"
    assert POLICY_PATH not in cluster.objects
    assert driver.ensure(planned_namespace(default_deny=False)).outcome == "unchanged"


def test_drift_is_described_in_sentences(cluster, driver):
    driver.ensure(planned_namespace())
    namespace, quota = cluster.get(NS_PATH), cluster.get(QUOTA_PATH)
    del namespace["metadata"]["labels"]["cost-center"]
    quota["spec"]["hard"]["pods"] = "100"
    quota["spec"]["hard"]["services"] = "10"
    cluster.put(NS_PATH, namespace)
    cluster.put(QUOTA_PATH, quota)
    del cluster.objects[POLICY_PATH]

    assert driver.check_drift(planned_namespace()) == [
        f"Namespace {NS}: label cost-center is missing (the plan says 'cc-1234')",
        "ResourceQuota default-quota: spec.hard.pods is '100', the plan says '50'",
        "ResourceQuota default-quota: spec.hard.services is '10', which the plan does not set",
        "NetworkPolicy default-deny is missing",
    ]


def test_a_deleted_namespace_is_resource_missing(cluster, driver):
    with pytest.raises(ResourceMissing, match=f"namespace {NS} no longer exists"):
        driver.check_drift(planned_namespace())


def test_decommission_deletes_the_namespace_and_absent_is_success(cluster, driver):
    driver.ensure(planned_namespace())
    cluster.calls.clear()

    first = driver.decommission(planned_namespace())
    second = driver.decommission(planned_namespace())

    assert cluster.lines() == [f"DELETE {NS_PATH}", f"DELETE {NS_PATH}"]
    assert (first.outcome, second.outcome) == ("deleted", "deleted")
    assert "already gone" in second.message
    assert not cluster.objects


def test_a_namespace_still_terminating_is_retried_later(cluster, driver):
    cluster.finalize_namespaces = False
    driver.ensure(planned_namespace())
    driver.decommission(planned_namespace())
    cluster.calls.clear()

    with pytest.raises(TransientError, match="still being deleted"):
        driver.ensure(planned_namespace())
    assert cluster.lines() == [f"GET {NS_PATH}"]


def test_a_create_that_loses_a_race_converges_on_what_the_other_made(cluster, driver):
    # Someone creates the namespace between the portal's read (404) and its create (409).
    cluster.put(
        NS_PATH,
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": NS, "resourceVersion": "7", "uid": "u"},
        },
    )
    not_found = status_object(
        404, f'namespaces "{NS}" not found', "NotFound", {"name": NS, "kind": "namespaces"}
    )
    cluster.fail("GET", NS_PATH, 404, not_found)

    result = driver.ensure(planned_namespace())

    assert cluster.lines()[:4] == [
        f"GET {NS_PATH}",
        "POST /api/v1/namespaces",
        f"GET {NS_PATH}",
        f"PATCH {NS_PATH}",
    ]
    assert (
        cluster.calls[1].body and cluster.get(NS_PATH)["metadata"]["labels"]["team"] == "payments"
    )
    assert result.outcome == "updated"
    assert result.details["objects"][f"Namespace/{NS}"] == "updated"


def test_a_replace_that_lost_to_another_writer_is_transient(cluster, driver):
    driver.ensure(planned_namespace())
    quota = cluster.get(QUOTA_PATH)
    quota["spec"]["hard"]["pods"] = "100"
    cluster.put(QUOTA_PATH, quota)
    conflict = status_object(
        409,
        'Operation cannot be fulfilled on resourcequotas "default-quota": the object has been '
        "modified; please apply your changes to the latest version and try again",
        "Conflict",
    )
    cluster.fail("PUT", QUOTA_PATH, 409, conflict)

    with pytest.raises(TransientError, match="the object has been modified"):
        driver.ensure(planned_namespace())


@pytest.mark.parametrize("status", [429, 500, 503, 504])
def test_throttling_and_server_errors_are_transient(cluster, driver, status):
    cluster.fail("POST", f"{NS_PATH}/resourcequotas", status)

    with pytest.raises(TransientError, match="the portal will retry"):
        driver.ensure(planned_namespace())


def test_a_refused_connection_is_transient(settings, tmp_path, driver):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.KUBECONFIG = str(
        write_kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{port}", "t")
    )

    with pytest.raises(TransientError, match="could not reach the Kubernetes API"):
        driver.ensure(planned_namespace())


def test_a_slow_api_server_is_a_transient_timeout(cluster, driver):
    driver.request_timeout = (1, 0.2)
    cluster.fail("GET", NS_PATH, None, delay=0.5)

    with pytest.raises(TransientError, match="could not reach the Kubernetes API to get Namespace"):
        driver.ensure(planned_namespace())


def test_forbidden_says_what_the_portal_may_not_do(cluster, driver):
    cluster.fail(
        "POST",
        f"{NS_PATH}/resourcequotas",
        403,
        message='resourcequotas is forbidden: User "system:serviceaccount:idp:portal" cannot '
        'create resource "resourcequotas"',
    )

    with pytest.raises(PermanentError) as raised:
        driver.ensure(planned_namespace())

    assert str(raised.value).startswith(
        f"the portal's credentials may not create resourcequotas in namespace {NS}: "
        "ask the platform team to grant it (Kubernetes said: resourcequotas is forbidden"
    )


def test_rejected_credentials_are_permanent(cluster, driver):
    cluster.token = "rotated"

    with pytest.raises(PermanentError, match="may not get namespaces: ask the platform team"):
        driver.ensure(planned_namespace())


def test_an_invalid_quantity_is_refused_with_the_api_servers_message(cluster, driver):
    with pytest.raises(PermanentError) as raised:
        driver.ensure(planned_namespace(quota=QUOTA | {"pods": "lots"}))

    assert str(raised.value).startswith(
        f"Kubernetes refused to create ResourceQuota default-quota in namespace {NS}: "
        'ResourceQuota "default-quota" is invalid: spec.hard[pods]: Invalid value: "lots"'
    )


def test_an_invalid_tag_is_refused_before_any_call(cluster, driver):
    with pytest.raises(PermanentError) as raised:
        driver.ensure(planned_namespace(tags=TAGS | {"cost-center": "CC 1234/ops"}))

    assert str(raised.value) == (
        "tag cost-center='CC 1234/ops' cannot be a Kubernetes label: the value must be at most "
        "63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
    )
    assert cluster.calls == []


def test_an_invalid_namespace_name_is_refused_before_any_call(cluster, driver):
    resource = PlannedResource(
        "kubernetes", "namespace", "Payments_Dev", TAGS, planned_namespace().config
    )

    with pytest.raises(
        PermanentError, match="cannot be a namespace name: use at most 63 lowercase"
    ):
        driver.ensure(resource)
    assert cluster.calls == []


def test_the_plans_cluster_is_the_kubeconfig_context(cluster, driver):
    assert driver.ensure(planned_namespace(cluster="staging-eu")).outcome == "created"

    with pytest.raises(
        PermanentError, match="cannot use its Kubernetes configuration with context 'nowhere'"
    ):
        driver.ensure(planned_namespace(cluster="nowhere"))


def test_not_connected_says_so_and_makes_no_call(cluster, settings, driver):
    settings.KUBECONFIG = ""
    settings.KUBERNETES_IN_CLUSTER = False

    assert KubernetesDriver.connection_status() == (False, NOT_CONNECTED)
    for attempt in (driver.ensure, driver.check_drift, driver.decommission):
        with pytest.raises(NotConnectedError) as raised:
            attempt(planned_namespace())
        assert str(raised.value) == NOT_CONNECTED
    assert cluster.calls == []


def test_a_kubeconfig_that_is_not_there_is_not_connected(settings, tmp_path):
    settings.KUBECONFIG = str(tmp_path / "missing")

    connected, status = KubernetesDriver.connection_status()

    assert not connected and status.startswith("not connected: KUBECONFIG is ")


def test_in_cluster_cannot_reach_a_named_cluster(settings):
    settings.KUBECONFIG = ""
    settings.KUBERNETES_IN_CLUSTER = True

    with pytest.raises(PermanentError, match="runs in-cluster without a kubeconfig"):
        KubernetesDriver().ensure(planned_namespace(cluster="staging-eu"))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("8Gi", Decimal(8 * 2**30)),
        ("8192Mi", Decimal(8 * 2**30)),
        ("1e3", Decimal(1000)),
        ("1E", Decimal(10**18)),
        ("0.5", Decimal("0.5")),
        ("lots", None),
    ],
)
def test_quantities_are_read_like_the_api_server_reads_them(text, value):
    assert parse_quantity(text) == value
