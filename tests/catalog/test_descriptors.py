"""Reading descriptors: pure functions, no database."""

import time

from catalog.backstage.descriptors import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    EntitySpec,
    LocationSpec,
    Rejection,
    parse_document,
    parse_file,
)
from tests.factories import descriptor_yaml, make_descriptor


def parse_one(doc: dict) -> EntitySpec | LocationSpec | Rejection:
    return parse_document(doc, "catalog-info.yaml", 1)


def rejection_of(data: bytes, **options) -> Rejection:
    result = parse_file("catalog-info.yaml", data, **options)
    assert not result.entities, result.entities
    assert len(result.rejections) == 1, result.rejections
    return result.rejections[0]


def test_a_component_becomes_model_fields_refs_and_lists():
    doc = make_descriptor(
        "Component",
        "payments-api",
        {"system": "checkout", "providesApis": ["payments"], "dependsOn": ["resource:ledger-db"]},
        namespace="shop",
        title="Payments API",
        tags=["python", "payments"],
        annotations={
            "portal.internal/tier": "1",
            "portal.internal/language": "python",
            "backstage.io/source-location": "url:https://git.example.com/payments",
            "example.com/on-call": "alice",
        },
        links=[{"url": "https://docs.example.com/p", "title": "Docs", "type": "docs"}],
    )
    spec = parse_one(doc)
    assert spec.ref == "component:shop/payments-api"
    assert spec.fields["tier"] == 1 and spec.fields["language"] == "python"
    assert spec.fields["repository_url"] == "https://git.example.com/payments"
    # Annotations that became fields are not kept twice.
    assert spec.fields["annotations"] == {"example.com/on-call": "alice"}
    # Short references get the default kind and the entity's own namespace, as in Backstage.
    assert spec.refs["owner_ref"] == "group:shop/payments"
    assert spec.refs["system_ref"] == "system:shop/checkout"
    assert spec.lists["provides_apis"] == ["api:shop/payments"]
    assert spec.lists["depends_on"] == ["resource:shop/ledger-db"]
    assert spec.lists["tags"] == ["payments", "python"]
    assert spec.lists["links"][0]["kind"] == "docs"


def test_a_missing_tier_means_tier_3():
    assert parse_one(make_descriptor("Component", "svc")).fields["tier"] == 3


def test_an_unknown_link_type_becomes_other_and_is_kept_for_export():
    doc = make_descriptor(
        "Component", "svc", links=[{"url": "https://x.example.com", "type": "wiki"}]
    )
    spec = parse_one(doc)
    assert spec.lists["links"][0]["kind"] == "other"
    assert spec.extra["linkTypes"] == {"https://x.example.com": "wiki"}


def test_unmodelled_fields_are_kept_in_extra():
    doc = make_descriptor("System", "checkout", {"type": "product"}, tags=["web"], owner_team="x")
    doc["apiVersion"] = "backstage.io/v1beta1"
    spec = parse_one(doc)
    assert spec.extra == {
        "apiVersion": "backstage.io/v1beta1",
        "metadata": {"owner_team": "x", "tags": ["web"]},
        "spec": {"type": "product"},
    }


def test_a_group_takes_its_display_name_and_contact_channel():
    doc = make_descriptor(
        "Group",
        "payments",
        {"parent": "engineering", "profile": {"displayName": "Payments", "email": "p@x.com"}},
        annotations={"portal.internal/contact-channel": "#payments"},
    )
    spec = parse_one(doc)
    assert spec.fields["title"] == "Payments"
    assert spec.fields["contact_channel"] == "#payments"
    assert spec.refs["parent_ref"] == "group:default/engineering"
    assert spec.extra["spec"] == {"profile": {"email": "p@x.com"}}


def test_the_digest_changes_with_content_and_only_with_content():
    first = parse_one(make_descriptor("Component", "svc", title="A"))
    again = parse_one(make_descriptor("Component", "svc", title="A"))
    changed = parse_one(make_descriptor("Component", "svc", title="B"))
    assert first.digest == again.digest != changed.digest


def test_metadata_uid_and_etag_from_a_file_are_ignored():
    plain = parse_one(make_descriptor("Component", "svc"))
    exported = parse_one(make_descriptor("Component", "svc", uid="abc", etag="def"))
    assert plain.digest == exported.digest


def test_malformed_yaml_is_rejected_with_its_line_and_earlier_documents_survive():
    data = descriptor_yaml(make_descriptor("Component", "ok")) + b"---\nmetadata: [unclosed\n"
    result = parse_file("catalog-info.yaml", data)
    assert [spec.name for spec in result.entities] == ["ok"]
    (rejection,) = result.rejections
    assert rejection.index == 2
    assert "YAML syntax error at line" in rejection.reason


def test_a_billion_laughs_document_is_refused_quickly():
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    started = time.perf_counter()
    rejection = rejection_of(("\n".join(lines) + "\n").encode())
    assert time.perf_counter() - started < 1
    assert "alias" in rejection.reason and "write the values out" in rejection.reason


def test_a_self_referencing_alias_is_refused():
    assert "alias" in rejection_of(b"apiVersion: backstage.io/v1alpha1\nloop: &x [*x]\n").reason


def test_aliases_of_plain_values_are_fine():
    data = b"""
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: {name: svc, title: &t Payments}
spec: {type: service, lifecycle: production, owner: payments, x-label: *t}
"""
    (spec,) = parse_file("catalog-info.yaml", data).entities
    assert spec.extra["spec"] == {"x-label": "Payments"}


def test_merge_keys_are_plain_keys_as_in_backstages_yaml_1_2():
    merged = b"apiVersion: backstage.io/v1alpha1\nbase: &b {type: service}\nspec: {<<: *b}\n"
    assert "alias" in rejection_of(merged).reason
    inline = descriptor_yaml(make_descriptor("Component", "svc", {"<<": {"a": 1}}))
    (spec,) = parse_file("catalog-info.yaml", inline).entities
    assert spec.extra["spec"] == {"<<": {"a": 1}}


def test_nesting_deeper_than_the_limit_is_refused():
    nested = "x"
    for _ in range(MAX_DEPTH + 2):
        nested = f"[{nested}]"
    rejection = rejection_of(f"apiVersion: backstage.io/v1alpha1\ndeep: {nested}\n".encode())
    assert "nested more than" in rejection.reason


def test_nesting_beyond_what_the_yaml_parser_allows_is_a_rejection_not_a_crash():
    rejection = rejection_of(b"a: " + b"[" * 5000 + b"]" * 5000 + b"\n")
    assert "YAML syntax error" in rejection.reason


def test_an_oversize_file_is_refused_unread():
    rejection = rejection_of(b"#" * (MAX_FILE_BYTES + 1))
    assert rejection.index is None and "larger than" in rejection.reason
    assert str(rejection).startswith("catalog-info.yaml: the file is larger than")


def test_a_file_that_is_not_utf8_is_refused():
    assert "UTF-8" in rejection_of(b"name: caf\xe9\n").reason


def test_invalid_names_are_refused_with_the_rule():
    rejection = parse_one(make_descriptor("Component", "-payments-"))
    assert rejection.field == "metadata.name"
    assert "starting and ending with a letter or digit" in rejection.reason
    rejection = parse_one(make_descriptor("Component", "ok", namespace="Shop_Floor"))
    assert rejection.field == "metadata.namespace" and "lowercase" in rejection.reason


def test_an_unknown_kind_is_refused_naming_the_kinds_that_work():
    rejection = parse_one(make_descriptor("Template", "x"))
    assert rejection.field == "kind" and "Component, API, System" in rejection.reason


def test_a_wrong_api_version_is_refused_with_the_right_one():
    doc = make_descriptor("Component", "svc")
    doc["apiVersion"] = "backstage.io/v2"
    rejection = parse_one(doc)
    assert rejection.field == "apiVersion" and "backstage.io/v1alpha1" in rejection.reason


def test_documents_that_are_not_mappings_are_refused_and_empty_ones_skipped():
    result = parse_file("catalog-info.yaml", b"- a list\n---\njust text\n---\n---\n")
    assert [(r.index, "mapping" in r.reason) for r in result.rejections] == [(1, True), (2, True)]


def test_a_missing_required_spec_field_says_what_to_write():
    doc = make_descriptor("Component", "svc")
    del doc["spec"]["owner"]
    rejection = parse_one(doc)
    assert (rejection.field, rejection.reason) == (
        "spec.owner",
        "spec.owner is required, e.g. owner: payments",
    )


def test_a_tier_out_of_range_is_refused():
    doc = make_descriptor("Component", "svc", annotations={"portal.internal/tier": "5"})
    rejection = parse_one(doc)
    assert rejection.field == "metadata.annotations.portal.internal/tier"
    assert '"1", "2", "3" or "4"' in rejection.reason


def test_depends_on_must_name_its_kind():
    rejection = parse_one(make_descriptor("Component", "svc", {"dependsOn": ["ledger"]}))
    assert rejection.field == "spec.dependsOn[0]" and "names no kind" in rejection.reason


def test_a_reference_to_the_wrong_kind_is_refused():
    rejection = parse_one(make_descriptor("Component", "svc", {"system": "domain:commerce"}))
    assert rejection.field == "spec.system" and "must refer to a system" in rejection.reason


def test_an_invalid_tag_is_refused_with_the_tag_rules():
    rejection = parse_one(make_descriptor("Component", "svc", tags=["Python 3"]))
    assert rejection.field == "metadata.tags[0]" and "lowercase" in rejection.reason


def test_unknown_top_level_fields_are_refused():
    doc = make_descriptor("Component", "svc")
    doc["owner"] = "payments"
    assert parse_one(doc).field == "owner"


def test_binary_and_set_values_are_refused():
    data = b"apiVersion: backstage.io/v1alpha1\nkind: Component\nblob: !!binary aGk=\n"
    assert "only text, numbers" in rejection_of(data).reason


def test_dates_and_yes_no_stay_text_as_backstage_reads_them():
    data = descriptor_yaml(make_descriptor("Component", "svc", {"since": "x"}))
    data = data.replace(b"since: x", b"since: 2024-01-01\n  enabled: yes")
    (spec,) = parse_file("catalog-info.yaml", data).entities
    assert spec.extra["spec"] == {"since": "2024-01-01", "enabled": "yes"}


def test_a_location_lists_its_targets():
    doc = {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Location",
        "metadata": {"name": "root"},
        "spec": {"type": "file", "targets": ["./a.yaml"]},
    }
    location = parse_one(doc)
    assert location.targets == ("./a.yaml",) and location.presence == "required"


def test_searching_a_folder_skips_files_and_documents_that_are_not_backstage_ones():
    manifest = b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n"
    assert parse_file("deploy.yaml", manifest, discovery=True).skipped
    mixed = descriptor_yaml(make_descriptor("Component", "svc")) + b"---\n" + manifest
    result = parse_file("catalog-info.yaml", mixed, discovery=True)
    assert [s.name for s in result.entities] == ["svc"] and not result.rejections
    # Given explicitly, the same foreign document is a rejection.
    assert parse_file("catalog-info.yaml", mixed).rejections[0].field == "apiVersion"
