"""A team's on-call target: set by its lead (or an admin), references only, never the key."""

import pytest
from django.urls import reverse

from observability.models import TeamOnCall
from tests.factories import make_user

KEY = "e93facc04764012d7bfb002500d5d1a6"  # the shape of a PagerDuty integration key
URL = reverse("observability:team_on_call", args=["payments"])
VALID = {
    "pagerduty_service": "P1ABCDE",
    "routing_key_secret": "payments-pagerduty",
    "routing_key_secret_key": "routing-key",
}


def test_the_lead_sees_a_form_with_labels_and_help(owner_client):
    html = owner_client.get(URL).content.decode()
    assert "PagerDuty service ID" in html and "Never the key itself" in html
    assert "its critical alerts page nobody" in html
    for name in ("pagerduty_service", "routing_key_secret", "routing_key_secret_key"):
        assert f'aria-describedby="id_{name}_helptext"' in html
        assert f'<small id="id_{name}_helptext">' in html


def test_the_lead_sets_the_target(owner_client, personas):
    response = owner_client.post(URL, VALID)
    assert response.status_code == 302
    on_call = TeamOnCall.objects.get(team=personas.team)
    assert (on_call.pagerduty_service, on_call.updated_by) == ("P1ABCDE", personas.owner)


def test_saving_again_changes_the_same_row(owner_client, personas):
    owner_client.post(URL, VALID)
    owner_client.post(URL, VALID | {"pagerduty_service": "P9ZZZZZ"})
    assert TeamOnCall.objects.get().pagerduty_service == "P9ZZZZZ"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pagerduty_service", KEY, "never paste the key here"),
        ("routing_key_secret", KEY, "looks like the integration key itself"),
        ("pagerduty_service", "payments", "use the PagerDuty service ID"),
        ("routing_key_secret", "Payments PD", "use the Secret&#x27;s Kubernetes name"),
        ("routing_key_secret_key", "routing key", "use the key&#x27;s name inside the Secret"),
    ],
)  # fmt: skip
def test_keys_and_malformed_references_are_refused_beside_the_field(
    owner_client, field, value, message
):
    response = owner_client.post(URL, VALID | {field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TeamOnCall.objects.exists()


def test_a_teammate_who_is_not_lead_may_not_change_it(client, personas):
    client.force_login(personas.teammate)
    assert client.post(URL, VALID).status_code == 403
    assert not TeamOnCall.objects.exists()


def test_an_outsider_may_not_change_it(outsider_client):
    assert outsider_client.get(URL).status_code == 403


def test_a_platform_admin_may_change_any_team(client, personas):
    client.force_login(make_user("root", is_staff=True))
    assert client.post(URL, VALID).status_code == 302


def test_an_unknown_team_is_404(owner_client):
    url = reverse("observability:team_on_call", args=["nope"])
    assert owner_client.get(url).status_code == 404


def test_other_methods_are_refused(owner_client):
    assert owner_client.put(URL).status_code == 405


def test_a_changed_on_call_target_is_audited_with_before_and_after(client, personas):
    from idp_portal.models import AuditEvent

    client.force_login(personas.owner)
    url = f"/observability/teams/{personas.team.name}/on-call/"
    for service in ("PFIRST1", "PSECOND"):
        client.post(
            url,
            {
                "pagerduty_service": service,
                "routing_key_secret": "pagerduty-routing",
                "routing_key_secret_key": "routing-key",
            },
        )
    last = AuditEvent.objects.filter(action="on_call.edit").order_by("-pk").first()
    assert last.before["pagerduty_service"] == "PFIRST1"
    assert last.after["pagerduty_service"] == "PSECOND" and last.team == personas.team.name
