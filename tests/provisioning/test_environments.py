import pytest
from django.core.management import CommandError, call_command

from provisioning.environments import EnvironmentFileError, load_environments
from provisioning.models import Environment

pytestmark = pytest.mark.django_db

GOOD = """
environments:
  - name: dev
    region: eu-central-1
    vpc_id: vpc-123
    subnet_ids: [subnet-a, subnet-b]
  - name: perf
    display_name: Performance
    requires_approval: true
"""


def test_defaults_exist_and_production_needs_approval():
    assert list(Environment.objects.values_list("name", "requires_approval")) == [
        ("dev", False),
        ("staging", False),
        ("prod", True),
    ]


def test_loading_creates_and_updates(tmp_path):
    path = tmp_path / "envs.yaml"
    path.write_text(GOOD)
    call_command("load_environments", str(path))
    dev = Environment.objects.get(name="dev")
    assert dev.region == "eu-central-1" and dev.subnet_ids == ["subnet-a", "subnet-b"]
    assert Environment.objects.get(name="perf").requires_approval
    call_command("load_environments", str(path))  # idempotent
    assert Environment.objects.count() == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{nope", "not valid YAML"),
        ("x: 1", "top-level 'environments:'"),
        ("environments: [{region: x}]", "needs at least a 'name'"),
        ("environments: [{name: dev, colour: blue}]", "unknown field(s) colour"),
        ("environments: [{name: 'bad name'}]", "entry 'bad name'"),
    ],
)
def test_bad_files_are_refused_whole_with_the_reason(text, message):
    with pytest.raises(EnvironmentFileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_environments(text)
    assert Environment.objects.count() == 3


def test_a_missing_file_is_a_one_line_error(tmp_path):
    with pytest.raises(CommandError, match="is not a file"):
        call_command("load_environments", str(tmp_path / "nope.yaml"))
