"""Following Location entities: inside the imported folder only, each file once."""

import os

import pytest

from catalog.backstage.import_sources import TargetProblem, resolve_target
from catalog.backstage.importing import import_descriptors
from catalog.models import Component
from tests.factories import descriptor_yaml, make_descriptor

pytestmark = pytest.mark.django_db


def location(*targets: str, presence: str = "required", location_type: str = "file") -> dict:
    spec = {"type": location_type, "targets": list(targets), "presence": presence}
    return {"apiVersion": "backstage.io/v1alpha1", "kind": "Location",
            "metadata": {"name": "root"}, "spec": spec}  # fmt: skip


def write(path, *docs) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(descriptor_yaml(*docs))


def names() -> list[str]:
    return sorted(Component.objects.values_list("name", flat=True))


def test_relative_targets_and_globs_are_followed(tmp_path):
    write(tmp_path / "repo/catalog-info.yaml", location("./services/*.yaml", "../shared.yaml"))
    write(tmp_path / "repo/services/a.yaml", make_descriptor("Component", "a"))
    write(tmp_path / "repo/services/b.yaml", make_descriptor("Component", "b"))
    write(tmp_path / "shared.yaml", make_descriptor("Component", "shared"))
    report = import_descriptors(tmp_path / "repo/catalog-info.yaml")
    # The root is the folder of the file given, so ../shared.yaml is outside it.
    assert names() == ["a", "b"]
    (rejection,) = report.rejected
    assert (
        rejection.field == "spec.targets[1]" and "outside the imported folder" in rejection.reason
    )


def test_targets_that_climb_out_of_the_root_are_refused(tmp_path):
    write(tmp_path / "catalog-info.yaml", location("../../etc/passwd", "./a/../../x.yaml"))
    report = import_descriptors(tmp_path / "catalog-info.yaml")
    assert [r.field for r in report.rejected] == ["spec.targets[0]", "spec.targets[1]"]
    assert all("outside the imported folder" in r.reason for r in report.rejected)


def test_absolute_paths_and_remote_urls_are_not_followed(tmp_path):
    write(tmp_path / "catalog-info.yaml",
          location("/etc/hosts", "https://github.com/acme/x/catalog-info.yaml",
                   location_type="url"))  # fmt: skip
    report = import_descriptors(tmp_path / "catalog-info.yaml")
    assert len(report.rejected) == 2
    assert all("not a relative path" in r.reason for r in report.rejected)


def test_a_missing_required_target_is_reported_and_an_optional_one_is_not(tmp_path):
    write(
        tmp_path / "catalog-info.yaml",
        location("./gone.yaml"),
        location("./also-gone.yaml", presence="optional"),
    )
    report = import_descriptors(tmp_path / "catalog-info.yaml")
    (rejection,) = report.rejected
    assert (rejection.index, rejection.field) == (1, "spec.target")
    assert "does not exist" in rejection.reason


def test_locations_that_point_at_each_other_are_read_once(tmp_path):
    write(tmp_path / "a.yaml", location("./b.yaml"), make_descriptor("Component", "from-a"))
    write(tmp_path / "b.yaml", location("./a.yaml"), make_descriptor("Component", "from-b"))
    report = import_descriptors(tmp_path / "a.yaml")
    assert names() == ["from-a", "from-b"] and report.files_read == ["a.yaml", "b.yaml"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links on this system")
def test_a_symbolic_link_out_of_the_root_is_refused(tmp_path):
    outside = tmp_path / "outside.yaml"
    write(outside, make_descriptor("Component", "secret"))
    root = tmp_path / "root"
    write(root / "catalog-info.yaml", location("./link.yaml"))
    (root / "link.yaml").symlink_to(outside)
    report = import_descriptors(root / "catalog-info.yaml")
    assert names() == [] and "could not be read" in report.rejected[0].reason


def test_uploaded_files_can_point_at_each_other():
    files = [
        ("catalog-info.yaml", descriptor_yaml(location("./services.yaml", "../x.yaml"))),
        ("services.yaml", descriptor_yaml(make_descriptor("Component", "svc"))),
    ]
    report = import_descriptors(files)
    assert names() == ["svc"] and "outside" in report.rejected[0].reason


def test_searching_a_folder_finds_descriptors_and_ignores_other_yaml(tmp_path):
    write(tmp_path / "services/payments/catalog-info.yaml", make_descriptor("Component", "p"))
    (tmp_path / ".github/workflows").mkdir(parents=True)
    (tmp_path / ".github/workflows/ci.yml").write_text("on: push\njobs: {}\n")
    (tmp_path / "k8s.yaml").write_text("apiVersion: v1\nkind: Service\nmetadata: {name: x}\n")
    (tmp_path / "node_modules/pkg").mkdir(parents=True)
    write(tmp_path / "node_modules/pkg/catalog-info.yaml", make_descriptor("Component", "dep"))
    report = import_descriptors(tmp_path)
    assert names() == ["p"] and not report.rejected
    assert report.skipped_files == ["k8s.yaml"]


@pytest.mark.parametrize(
    ("target", "expected"),
    [("./a.yaml", "dir/a.yaml"), ("b/c.yaml", "dir/b/c.yaml"), ("../top.yaml", "top.yaml")],
)
def test_targets_resolve_against_the_location_file(target, expected):
    assert resolve_target("dir/catalog-info.yaml", target, "file") == expected


def test_other_location_types_are_not_followed():
    with pytest.raises(TargetProblem, match="type 'github-org' are not followed"):
        resolve_target("catalog-info.yaml", "https://github.com/acme", "github-org")
