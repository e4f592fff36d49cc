"""Only catalog/ writes catalog rows: every other app calls catalog/services.py.

The check reads each module outside catalog/ (migrations and tests aside) and reports a call of
a write method (WRITE_METHODS) on anything that reaches a catalog model:
- a catalog model class (`Component.objects.create(...)`, `models.Team.objects...`);
- a name assigned from one in the same function or at module level
  (`c = Component.objects.get(...)`, `for c in Component.objects.all()`, `draft = Component()`);
- a parameter typed as a catalog model or named as a relation to one (`component: Component`,
  `team`);
- a relation that leads to catalog rows, taken from the model registry: a foreign key to a
  catalog model (`origin.component.save()`), a catalog model's reverse relation or many-to-many
  (`component.tags.add(...)`, `user.team_memberships.create(...)`).
Reads (filter, get, exists, values, ...) are allowed. It cannot see a queryset handed over by a
function (`helper().update(...)`), `apps.get_model`, or a relation name another app uses too
(`user.teams`): review those by eye.
"""

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

WRITE_METHODS = frozenset(
    {
        "create",
        "get_or_create",
        "update_or_create",
        "bulk_create",
        "bulk_update",
        "update",
        "delete",
        "save",
        "add",
        "set",
        "remove",
        "clear",
    }
)


def _catalog_models() -> set:
    return {m for m in apps.get_models(include_auto_created=True) if m._meta.app_label == "catalog"}


def _writes_catalog_rows(field, catalog: set) -> bool:
    """Whether writing through this relation writes a catalog table: a many-to-many writes its
    through table (another app's own is its business), any other relation the rows it reaches."""
    if field.many_to_many:
        return (field.remote_field.through if field.concrete else field.through) in catalog
    return field.related_model in catalog


def catalog_relations() -> frozenset[str]:
    """Attribute names that lead from a row of any app to catalog rows, less the names that
    some other relation uses too (`user.teams` is catalog's, `programme.teams` feedback's):
    without types the check cannot tell them apart, and it must not cry wolf."""
    catalog, names, elsewhere = _catalog_models(), set(), set()
    for model in apps.get_models():
        for field in model._meta.get_fields(include_hidden=True):
            if not field.is_relation:
                continue
            name = field.name if field.concrete else field.get_accessor_name()
            if name and name.isidentifier():
                (names if _writes_catalog_rows(field, catalog) else elsewhere).add(name)
    return frozenset(names - elsewhere)


CATALOG_CLASSES = frozenset(m.__name__ for m in _catalog_models())


def _chain(node: ast.expr):
    """The receiver chain of an expression, outermost first: `a.b(c)[0].d` → d, [0], b(c), b, a."""
    while True:
        yield node
        if isinstance(node, ast.Attribute | ast.Subscript | ast.Starred | ast.Await):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return


def _reaches(node: ast.expr | None, names: set[str], relations: frozenset[str]) -> bool:
    if isinstance(node, ast.BoolOp):
        return any(_reaches(v, names, relations) for v in node.values)
    if isinstance(node, ast.IfExp):
        return _reaches(node.body, names, relations) or _reaches(node.orelse, names, relations)
    if isinstance(node, ast.Tuple | ast.List):
        return any(_reaches(v, names, relations) for v in node.elts)
    return node is not None and any(
        (isinstance(n, ast.Name) and n.id in names)
        or (isinstance(n, ast.Attribute) and (n.attr in relations or n.attr in CATALOG_CLASSES))
        for n in _chain(node)
    )


def _bound(target: ast.expr) -> set[str]:
    """The names an assignment binds (`a, *b = ...`); `a.x = ...` binds none."""
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, ast.Tuple | ast.List):
        return {name for t in target.elts for name in _bound(t)}
    return _bound(target.value) if isinstance(target, ast.Starred) else set()


def _assignments(scope: ast.AST):
    """(target, value) of every binding in the scope whose value could be a catalog row."""
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign):
            yield from ((t, node.value) for t in node.targets)
        elif isinstance(node, ast.AnnAssign | ast.AugAssign | ast.NamedExpr):
            yield node.target, node.value
        elif isinstance(node, ast.For | ast.AsyncFor | ast.comprehension):
            yield node.target, node.iter
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            yield node.optional_vars, node.context_expr


def _scopes(tree: ast.Module):
    """The module's own statements first, then each function (nested ones too)."""
    yield ast.Module(
        body=[
            s
            for s in tree.body
            if not isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        ],
        type_ignores=[],
    )
    yield from (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))


def _catalog_parameters(scope: ast.AST, relations: frozenset[str]) -> set[str]:
    """Parameters that hold catalog rows: annotated with a catalog model (`c: Component`,
    `teams: list[Team]`) or named as a relation to one (`component`, `team`)."""
    if not isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
        return set()
    a = scope.args
    params = [*a.posonlyargs, *a.args, *a.kwonlyargs]
    return {
        p.arg
        for p in params
        if p.arg in relations
        or any(
            (isinstance(n, ast.Name) and n.id in CATALOG_CLASSES)
            or (isinstance(n, ast.Attribute) and n.attr in CATALOG_CLASSES)
            or (
                isinstance(n, ast.Constant)
                and set(re.findall(r"\w+", str(n.value))) & CATALOG_CLASSES
            )
            for n in ast.walk(p.annotation or ast.Constant(None))
        )
    }


def _imported_classes(tree: ast.Module) -> set[str]:
    return {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("catalog.models")
        for alias in node.names
        if alias.name in CATALOG_CLASSES
    }


def catalog_writes(source: str, relations: frozenset[str] | None = None) -> list[int]:
    """Line numbers of the calls in `source` that write catalog rows directly."""
    relations = catalog_relations() if relations is None else relations
    tree, found = ast.parse(source), set()
    module_names = _imported_classes(tree)
    for scope in _scopes(tree):
        names = module_names | _catalog_parameters(scope, relations)
        while True:  # until no assignment makes another name a catalog row
            more = {
                name
                for target, value in _assignments(scope)
                if _reaches(value, names, relations)
                for name in _bound(target)
            }
            if more <= names:
                break
            names |= more
        if isinstance(scope, ast.Module):
            module_names = names  # module-level rows and models are seen from every function
        found |= {
            node.lineno
            for node in ast.walk(scope)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITE_METHODS
            and _reaches(node.func.value, names, relations)
        }
    return sorted(found)


def app_modules() -> list[Path]:
    base = Path(settings.BASE_DIR)
    packages = [
        p.parent
        for p in base.glob("*/__init__.py")
        if p.parent.name not in {"catalog", "tests", "docs", "static", "templates"}
    ]
    return sorted(
        path
        for package in packages
        for path in package.rglob("*.py")
        if "migrations" not in path.parts
    )


def test_no_module_outside_catalog_writes_a_catalog_row():
    relations = catalog_relations()
    modules = app_modules()
    assert {m.parent.name for m in modules} >= {"provisioning", "observability", "feedback"}
    offenders = {
        str(path.relative_to(settings.BASE_DIR)): lines
        for path in modules
        if (lines := catalog_writes(path.read_text(), relations))
    }
    assert offenders == {}, "call catalog/services.py instead (file: lines)"


def test_the_relations_followed_come_from_the_model_registry():
    relations = catalog_relations()
    # a provisioning foreign key, a reverse relation, a catalog many-to-many, a user's teams
    assert {"component", "links", "tags", "members", "team_memberships"} <= relations
    # observability's row for a component is observability's to write
    assert "observability_coverage" not in relations
    # a user's teams are catalog's, a pilot programme's feedback's: too ambiguous to follow
    assert "teams" not in relations


@pytest.mark.parametrize(
    "source",
    [
        # what golden paths did before they called catalog/services.py
        "from catalog.models import Component, Tag\n"
        "def f(fields):\n"
        "    c, _ = Component.objects.update_or_create(name='x', defaults=fields)\n",
        "from catalog.models import Component, Tag\n"
        "def f(component):\n"
        "    component.tags.add(Tag.objects.get_or_create(name='go')[0])\n",
        "def f(origin):\n"
        "    if component := origin.component:\n"
        "        component.annotations = {}\n"
        "        component.save(update_fields=['annotations'])\n",
        "from catalog.models import Team as T\ndef f():\n    T.objects.filter(name='x').delete()\n",
        "from catalog.models import Component\n"
        "def f():\n"
        "    for c in Component.objects.all():\n"
        "        c.save()\n",
        "from catalog.models import Component\ndef f():\n    Component(name='x').save()\n",
        "def f(user, team):\n    user.team_memberships.create(team=team)\n",
        "def f(request):\n    request.component.links.create(url='https://x')\n",
        "def f(coverage):\n    coverage.component.tags.clear()\n",
        # a parameter typed or named as a catalog row, a model kept at module level
        "from catalog.models import Component\ndef f(c: 'Component | None'):\n    c.delete()\n",
        "def f(team):\n    team.save()\n",
        "from catalog import models\n"
        "COMPONENTS = models.Component.objects\n"
        "def f():\n"
        "    COMPONENTS.bulk_create([])\n",
    ],
)
def test_it_reports_a_direct_write(source):
    assert catalog_writes(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "from catalog.models import Component\n"
        "def f(name):\n"
        "    return Component.objects.filter(name=name).exists()\n",
        # another app's rows that point at catalog rows are that app's to write
        "from provisioning.models import ProvisioningRequest\n"
        "def f(component):\n"
        "    ProvisioningRequest.objects.filter(component=None).update(component=component)\n",
        "def f(programme, teams):\n    programme.teams.set(teams)\n",
        "from catalog.models import Component\n"
        "def f(refresh):\n"
        "    refresh.last_id = Component.objects.values_list('pk', flat=True).last()\n"
        "    refresh.save()\n",
        "from catalog.models import Component\n"
        "def f():\n"
        "    names = set()\n"
        "    for c in Component.objects.all():\n"
        "        names.add(c.name)\n",
        "from catalog.models import Component\n"
        "def f(components: list[Component], plan):\n"
        "    plan.update(names=[c.name for c in components])\n",
        "from catalog import services as catalog\n"
        "def f(team):\n"
        "    catalog.register_component('x', owner=team)\n",
    ],
)
def test_it_allows_reads_and_other_apps_writes(source):
    assert catalog_writes(source) == []
