"""A large file parsed on several processes reads exactly as it does in one piece."""

import pytest

from catalog.backstage import descriptor_chunks
from catalog.backstage.descriptor_chunks import parse_large_file, split_documents
from catalog.backstage.descriptors import parse_file
from tests.factories import descriptor_yaml, make_descriptor


@pytest.fixture(autouse=True)
def small_files_in_three_runs(monkeypatch):
    monkeypatch.setattr(descriptor_chunks, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(descriptor_chunks, "processes", lambda: 3)


def catalog_file(count: int = 30) -> bytes:
    docs = [make_descriptor("Component", f"svc-{n}", tags=["java"]) for n in range(count)]
    docs[7]["spec"]["owner"] = "not a valid name!"  # rejected, document 8
    docs[20]["kind"] = "Location"  # a Location: its targets are followed by the reader
    docs[20]["spec"] = {"type": "file", "target": "./other.yaml"}
    text = descriptor_yaml(*docs)
    # An empty document and one with an anchor used inside it only.
    return (
        text
        + b"---\n---\n"
        + descriptor_yaml(make_descriptor("Component", "anchored", annotations={"a": "x"})).replace(
            b"annotations:\n    a: x", b"annotations:\n    a: &same x\n    b: *same"
        )
    )


def same(first, second) -> None:
    assert first.entities == second.entities
    assert [entity.index for entity in first.entities] == [e.index for e in second.entities]
    assert [entity.digest for entity in first.entities] == [e.digest for e in second.entities]
    assert first.locations == second.locations
    assert first.rejections == second.rejections
    assert first.skipped == second.skipped


def test_runs_are_joined_in_file_order_with_their_document_numbers():
    data = catalog_file()
    assert len(split_documents(data, 3)) == 3
    parsed = parse_large_file("catalog-info.yaml", data)
    same(parsed, parse_file("catalog-info.yaml", data))
    assert [spec.name for spec in parsed.entities][-1] == "anchored"
    assert parsed.entities[-1].index == 32  # 30, then an empty one, then the anchored one
    assert parsed.entities[-1].fields["annotations"] == {"a": "x", "b": "x"}
    assert parsed.rejections[0].index == 8 and parsed.locations[0].index == 21


def test_a_syntax_error_reads_as_it_does_in_one_piece():
    data = catalog_file().replace(b"name: svc-25", b"name: [svc-25")
    parsed = parse_large_file("catalog-info.yaml", data)
    same(parsed, parse_file("catalog-info.yaml", data))
    assert "YAML syntax error" in parsed.rejections[-1].reason


def test_quoted_text_with_a_document_marker_is_not_cut_into_two_documents():
    docs = [make_descriptor("Component", f"svc-{n}") for n in range(12)]
    data = descriptor_yaml(*docs).replace(
        b"name: svc-6\n", b'name: svc-6\n  description: "one\n---\n  two"\n'
    )
    parsed = parse_large_file("catalog-info.yaml", data)
    same(parsed, parse_file("catalog-info.yaml", data))


def test_a_cut_is_never_made_between_a_directive_and_its_document():
    data = b"".join(
        (b"%YAML 1.2\n---\n" if n % 2 else b"---\n")
        + descriptor_yaml(make_descriptor("Component", f"svc-{n}"))
        for n in range(9)
    )
    runs = split_documents(data, 3)
    assert len(runs) == 3
    for run in runs[1:]:
        assert run.startswith(b"---") and not data[: data.index(run)].endswith(b"%YAML 1.2\n")
    same(parse_large_file("c.yaml", data), parse_file("c.yaml", data))


def test_discovery_skips_and_refusals_are_decided_on_the_whole_file():
    foreign = b"apiVersion: v1\nkind: ConfigMap\n---\n" * 50
    assert parse_large_file("k8s.yaml", foreign, discovery=True).skipped
    data = catalog_file()
    refused = parse_large_file("big.yaml", data, max_bytes=100)
    same(refused, parse_file("big.yaml", data, max_bytes=100))


@pytest.mark.django_db
def test_an_import_of_a_file_read_in_runs_reports_each_document_by_its_number():
    from catalog.backstage.importing import import_descriptors

    report = import_descriptors([("catalog-info.yaml", catalog_file())])
    assert len(report.created) == 29  # 30 + "anchored", less the rejected one and the Location
    assert [rejection.index for rejection in report.rejected] == [8, 21]
    assert "component:default/anchored" in report.created


@pytest.mark.django_db
def test_only_the_command_forks_to_parse(monkeypatch, tmp_path):
    """Forking is safe in import_catalog's own process, not in a web server's threads or a
    Celery pool process (which may not start children): every other import parses in one."""
    from django.core.management import call_command

    from catalog.backstage import import_sources
    from catalog.backstage.importing import import_descriptors

    forked = []
    monkeypatch.setattr(
        import_sources,
        "parse_large_file",
        lambda *args, **kwargs: forked.append(args[0]) or parse_large_file(*args, **kwargs),
    )
    path = tmp_path / "catalog-info.yaml"
    path.write_bytes(descriptor_yaml(make_descriptor("Component", "one")))
    import_descriptors(path)
    assert forked == []
    call_command("import_catalog", str(path), verbosity=0)
    assert len(forked) == 1 and forked[0].endswith("catalog-info.yaml")
