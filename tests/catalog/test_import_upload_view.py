"""The descriptor upload page: platform admins only, any input answered with a page, not a 500."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from catalog import views_import
from catalog.backstage.descriptors import MAX_FILE_BYTES
from catalog.models import Component, TeamMembership
from idp_portal.models import AuditEvent
from tests.factories import descriptor_yaml, make_descriptor, make_team, make_user

pytestmark = pytest.mark.django_db
URL = "/catalog/import/"


def yaml_file(*docs, name="catalog-info.yaml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, descriptor_yaml(*docs), content_type="application/yaml")


def zip_file(members: dict[str, bytes], name="repo.zip") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


def test_the_page_explains_itself_and_labels_its_field(platform_client):
    html = platform_client.get(URL).content.decode()
    assert "Import Backstage descriptors" in html and "nothing is ever deleted" in html
    assert '<label for="id_files">Descriptor files</label>' in html
    assert 'aria-describedby="id_files-help"' in html and "catalog-info.yaml files" in html


def test_an_upload_imports_and_shows_the_report(platform_client):
    bad = make_descriptor("Component", "bad", {"system": "domain:x"})
    response = platform_client.post(URL, {"files": [
        yaml_file(make_descriptor("Component", "payments-api")),
        yaml_file(bad, name="more.yaml"),
    ]})  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200
    assert "1 entities from 2 files: 1 created, 0 updated, 0 unchanged, 1 rejected" in html
    assert "<code>more.yaml</code></td><td>1</td><td><code>spec.system</code>" in html
    assert "must refer to a system" in html
    assert "component:default/payments" in html  # the unresolved owner
    assert Component.objects.get().name == "payments-api"


def test_uploading_the_same_file_again_changes_nothing(platform_client):
    doc = make_descriptor("Component", "payments-api")
    platform_client.post(URL, {"files": yaml_file(doc)})
    before = list(Component.objects.values())
    html = platform_client.post(URL, {"files": yaml_file(doc)}).content.decode()
    assert "0 created, 0 updated, 1 unchanged" in html
    assert list(Component.objects.values()) == before


def test_a_zip_of_a_folder_is_imported_with_its_locations(platform_client):
    location = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {"name": "root"},
        "spec": {"targets": ["./services/*.yaml"]},
    }
    upload = zip_file({
        "catalog-info.yaml": descriptor_yaml(location),
        "services/a.yaml": descriptor_yaml(make_descriptor("Component", "a")),
        ".github/workflows/ci.yml": b"on: push\n",
        "README.md": b"# not yaml",
    })  # fmt: skip
    html = platform_client.post(URL, {"files": upload}).content.decode()
    assert "1 created" in html and "0 rejected" in html
    assert Component.objects.get().name == "a"


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("notes.txt", b"hello"), "notes.txt is not a .yaml, .yml or .zip file"),
        (SimpleUploadedFile("broken.zip", b"PK not really"), "broken.zip is not a readable .zip"),
        (SimpleUploadedFile("big.yaml", b"#" * (MAX_FILE_BYTES + 1)), "a descriptor file can be"),
    ],
)
def test_a_bad_file_gets_a_message_next_to_the_field(platform_client, upload, message):
    response = platform_client.post(URL, {"files": upload})
    assert response.status_code == 200
    assert message in response.content.decode() and not Component.objects.exists()


def test_a_file_that_is_not_yaml_inside_is_a_rejection_not_an_error(platform_client):
    html = platform_client.post(URL, {"files": SimpleUploadedFile("x.yaml", b"a: [\n")}).content
    assert b"YAML syntax error" in html


def test_posting_nothing_asks_for_a_file(platform_client):
    assert b"Choose at least one .yaml, .yml or .zip file." in platform_client.post(URL).content


def test_an_upload_over_the_limit_is_stopped_with_a_message(platform_client, monkeypatch):
    monkeypatch.setattr(views_import, "MAX_UPLOAD_BYTES", 1024)
    big = yaml_file(make_descriptor("Component", "svc", description="x" * 4096))
    html = platform_client.post(URL, {"files": big}).content.decode()
    assert "The upload is larger than" in html and not Component.objects.exists()


def test_other_methods_are_not_allowed(platform_client):
    assert platform_client.put(URL).status_code == 405
    assert platform_client.delete(URL).status_code == 405


def test_people_who_are_not_platform_admins_are_told_whom_to_ask(client):
    client.force_login(make_user("engineer"))
    response = client.post(URL, {"files": yaml_file(make_descriptor("Component", "svc"))})
    assert response.status_code == 403
    assert b"ask a platform admin" in response.content and not Component.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get(URL)["Location"].startswith("/accounts/login/")


def test_the_form_is_protected_against_cross_site_posts():
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("platform-admin", is_staff=True))
    response = client.post(URL, {"files": yaml_file(make_descriptor("Component", "svc"))})
    assert response.status_code == 403 and not Component.objects.exists()


def test_the_trust_boxes_are_labelled_explained_and_off(platform_client):
    html = platform_client.get(URL).content.decode()
    for name, label, help_words in [
        ("allow_owner_changes", "Allow owner changes", "left exactly as it is"),
        ("trust_memberships", "Grant team memberships from User documents", "who gets in"),
    ]:
        box = f'<input type="checkbox" name="{name}" id="id_{name}"\n'
        assert box in html and f'aria-describedby="id_{name}-help">' in html
        assert label in html and help_words in html


def test_an_owner_change_is_held_and_listed_until_allowed(platform_client):
    make_team("payments")
    search = make_team("search")
    platform_client.post(URL, {"files": yaml_file(make_descriptor("Component", "svc"))})
    before = list(Component.objects.values())
    moved = make_descriptor("Component", "svc", {"owner": "search"}, title="Taken")
    html = platform_client.post(URL, {"files": yaml_file(moved)}).content.decode()
    assert "Held: owner changes (1)" in html
    assert (
        "<tr><td><code>component:default/svc</code></td><td>held: owner change</td>"
        "<td><code>group:default/payments</code></td><td><code>group:default/search</code></td>"
    ) in html
    assert list(Component.objects.values()) == before
    confirmed = {"files": yaml_file(moved), "allow_owner_changes": "on"}
    html = platform_client.post(URL, confirmed).content.decode()
    assert "Owner changes applied (1)" in html and "Held: owner" not in html
    assert Component.objects.get().owner == search
    assert 'name="allow_owner_changes" id="id_allow_owner_changes"\n' in html  # unticked again


def test_memberships_are_granted_only_with_the_box_ticked(platform_client):
    make_team("payments")
    user_doc = yaml_file(make_descriptor("User", "dana", {"memberOf": ["payments"]}))
    html = platform_client.post(URL, {"files": user_doc}).content.decode()
    assert "list 1 team membership\n  nobody has yet; none was granted" in html
    assert not TeamMembership.objects.exists()
    user_doc.seek(0)
    html = platform_client.post(URL, {"files": user_doc, "trust_memberships": "on"}).content
    assert b"Granted 1 team membership from User documents" in html
    assert TeamMembership.objects.get().user.username == "dana"


def test_a_member_asking_for_trust_is_refused(client):
    payments = make_team("payments")
    member = make_user("engineer")
    TeamMembership.objects.create(team=payments, user=member)
    client.force_login(member)
    user_doc = yaml_file(make_descriptor("User", "dana", {"memberOf": ["payments"]}))
    response = client.post(URL, {"files": user_doc, "trust_memberships": "on"})
    assert response.status_code == 403
    assert list(TeamMembership.objects.values_list("user__username", flat=True)) == ["engineer"]
    assert AuditEvent.objects.exclude(action="auth.login").get().outcome == "denied"


def test_an_upload_is_audited_as_coming_from_the_web(platform_client):
    platform_client.post(URL, {"files": yaml_file(make_descriptor("Component", "svc"))})
    event = AuditEvent.objects.get(action="catalog.import")
    assert (event.actor.username, event.via) == ("platform", "web")
    assert event.after["created"] == 1 and "1 created" in event.detail
