import pytest

from catalog.backstage.refs import EntityRef, parse_ref
from catalog.models import Api, Component, Domain, Resource, System, Team
from catalog.validators import name_problem, namespace_problem


@pytest.mark.parametrize("name", ["a", "petstore", "Pet.Store_2", "a-b", "x" * 63, "1abc"])
def test_valid_names(name):
    assert name_problem(name) is None


@pytest.mark.parametrize(
    "name", ["", "-a", "a-", "a b", "a/b", "x" * 64, "ünicode", "a..", ".a", "_a", None, 5]
)
def test_invalid_names_say_why(name):
    assert name_problem(name)


@pytest.mark.parametrize("namespace", ["default", "team-a", "a1"])
def test_valid_namespaces(namespace):
    assert namespace_problem(namespace) is None


@pytest.mark.parametrize("namespace", ["Default", "a--b", "-a", "a_b", ""])
def test_invalid_namespaces(namespace):
    assert namespace_problem(namespace)


def test_refs_fill_in_kind_and_namespace_from_context():
    assert parse_ref("petstore", default_kind="component") == EntityRef(
        "component", "default", "petstore"
    )
    assert parse_ref("group:ops/sre") == EntityRef("group", "ops", "sre")
    assert parse_ref("API:Default/pets") == EntityRef("api", "default", "pets")


@pytest.mark.parametrize("ref", ["", "   ", "component:", "kind:ns/a/b", "petstore"])
def test_bad_refs_raise_a_readable_error(ref):
    with pytest.raises(ValueError, match="reference|kind"):
        parse_ref(ref)


@pytest.mark.parametrize("model", [Component, Api, System, Domain, Resource, Team])
@pytest.mark.parametrize("prefix", ["/", "/portal/"])
def test_an_entity_url_is_what_reverse_gives(model, prefix):
    """get_absolute_url() fills a once-reversed URL in: it must equal reverse() for any name
    the validators allow, under any script prefix."""
    from django.urls import reverse, set_script_prefix

    set_script_prefix(prefix)
    try:
        for namespace, name in [("default", "a"), ("Team-1", "A.b_c-9"), ("x", "name.with.dots")]:
            entity = model(namespace=namespace, name=name)
            expected = reverse(model.DETAIL_VIEW, args=[namespace, name])
            assert entity.get_absolute_url() == expected
            assert expected.startswith(prefix)
    finally:
        set_script_prefix("/")
