"""What a golden path asks for, and the rules a new service's name must follow (pure).

A golden path's `parameters` is a list of specs written in the admin:
{"name", "label", "help_text", "type", "default", "required", "choices", "pattern",
"pattern_message", "min", "max"}. `spec_problems` checks the list itself; the wizard's form
(golden_paths/forms.py) turns each spec into a field with its label, help text and validation.
"""

import re

from provisioning.planning import EnvironmentSpec
from provisioning.policy import namespace_problems, service_name_rule_problems, vault_path_problems

TYPES = {"string", "text", "integer", "boolean", "choice"}
KEYS = {
    "name",
    "label",
    "help_text",
    "type",
    "default",
    "required",
    "choices",
    "pattern",
    "pattern_message",
    "min",
    "max",
}
# Asked for every service by the wizard itself; a golden path cannot redefine them.
BUILT_IN = {"name", "owner", "description", "golden_path", "environment", "action"}
IDENTIFIER_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def spec_problems(specs: object) -> list[str]:
    """Why this parameter list cannot be used, one sentence per problem; [] when it can."""
    if not isinstance(specs, list):
        return ['parameters must be a list of objects, e.g. [{"name": "port", …}]']
    problems, seen = [], set()
    for index, spec in enumerate(specs, start=1):
        if not isinstance(spec, dict):
            problems.append(f"parameter {index} is not an object")
            continue
        problems += [f"parameter {index}: {p}" for p in _one_spec_problems(spec, seen)]
        seen.add(spec.get("name"))
    return problems


def _one_spec_problems(spec: dict, seen: set) -> list[str]:
    name, kind = spec.get("name"), spec.get("type", "string")
    problems = []
    if not isinstance(name, str) or not IDENTIFIER_RE.match(name):
        problems.append("'name' must be lowercase letters, digits and '_', e.g. http_port")
    elif name in BUILT_IN:
        problems.append(f"'{name}' is asked by the wizard itself: choose another name")
    elif name in seen:
        problems.append(f"'{name}' is defined twice")
    if unknown := set(spec) - KEYS:
        problems.append(f"unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("label", "help_text"):
        if not isinstance(spec.get(key), str) or not spec[key].strip():
            problems.append(f"give it a '{key}': every field tells engineers what to type")
    if kind not in TYPES:
        problems.append(f"'type' must be one of {', '.join(sorted(TYPES))}")
    if kind == "choice" and not _valid_choices(spec.get("choices")):
        problems.append("a choice needs 'choices': [[value, label], …]")
    if "pattern" in spec:
        try:
            re.compile(spec["pattern"])
        except (re.error, TypeError):
            problems.append("'pattern' is not a valid regular expression")
    return problems


def _valid_choices(choices: object) -> bool:
    return (
        isinstance(choices, list)
        and bool(choices)
        and all(isinstance(c, list | tuple) and len(c) == 2 for c in choices)
    )


def service_name_problems(name: str, team: str, environments: list[EnvironmentSpec]) -> list[str]:
    """Every rule the name must satisfy: Backstage's, Kubernetes' and Vault's, in one list.

    The name becomes the catalog entity, the repository, the Deployment and Service (RFC 1035
    labels: start with a letter), part of each environment's namespace and Vault path.
    """
    if problems := service_name_rule_problems(name):
        return problems
    problems = []
    for env in environments:
        namespace = env.namespace_pattern.format(team=team, service=name, env=env.name).lower()
        problems += [
            f"in {env.display_name or env.name}: {p}: use a shorter service name"
            for p in namespace_problems(namespace)
        ]
        problems += vault_path_problems(f"{team}/{name}/{env.name}")
    return list(dict.fromkeys(problems))
