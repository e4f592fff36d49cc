"""What a golden path may ask, and the rules a new service's name must follow."""

import pytest

from provisioning.golden_paths.parameters import service_name_problems, spec_problems
from tests.provisioning.golden.helpers import ENVIRONMENTS

GOOD = {"name": "port", "label": "Port", "help_text": "Where it listens", "type": "integer"}


def test_a_well_formed_parameter_list_has_no_problems():
    assert spec_problems([GOOD]) == []


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ({**GOOD, "label": ""}, "give it a 'label'"),
        ({**GOOD, "help_text": " "}, "give it a 'help_text'"),
        ({**GOOD, "name": "Port"}, "'name' must be lowercase"),
        ({**GOOD, "name": "owner"}, "asked by the wizard itself"),
        ({**GOOD, "type": "date"}, "'type' must be one of"),
        ({**GOOD, "type": "choice"}, "a choice needs 'choices'"),
        ({**GOOD, "pattern": "("}, "not a valid regular expression"),
        ({**GOOD, "colour": "red"}, "unknown key(s) colour"),
    ],
)
def test_a_broken_parameter_says_what_to_fix(spec, says):
    (problem,) = spec_problems([spec])
    assert problem.startswith("parameter 1: ") and says in problem


def test_a_parameter_defined_twice_is_refused():
    assert "defined twice" in spec_problems([GOOD, GOOD])[0]


def test_parameters_must_be_a_list():
    assert spec_problems({"name": "port"})


def test_a_good_name_passes_every_rule():
    assert service_name_problems("checkout-api", "payments", list(ENVIRONMENTS)) == []


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("", "give the service a name"),
        ("-checkout", "starting with a letter"),
        ("Checkout", "lowercase"),  # Kubernetes objects
        ("check_out", "lowercase letters, digits and '-'"),
        ("9lives", "starting with a letter"),  # RFC 1035 Service names
        ("a" * 64, "shorten it to 63 or fewer"),
    ],
)
def test_a_bad_name_says_which_rule_and_what_to_type(name, says):
    assert says in " ".join(service_name_problems(name, "payments", list(ENVIRONMENTS)))


def test_a_name_too_long_for_the_namespaces_says_so_per_environment():
    problems = service_name_problems("a" * 50, "payments", list(ENVIRONMENTS))
    assert any(p.startswith("in staging: the namespace name is") for p in problems)


@pytest.mark.parametrize("name", ["", "-checkout", "Check_Out", "9lives", "a" * 64])
def test_the_name_help_and_every_name_error_state_the_same_rule(name):
    """One definition: the form's help text quotes the rule each refusal quotes."""
    from provisioning.golden_paths.forms import NewServiceForm
    from provisioning.policy import service_name_rule

    help_text = str(NewServiceForm().fields["name"].help_text)
    problems = service_name_problems(name, "payments", list(ENVIRONMENTS))
    assert service_name_rule() in help_text.lower()
    assert problems and (service_name_rule() in problems[0] or "shorten it to 63" in problems[0])
