"""A new service's GitHub repository settings: planned from its pipeline, applied idempotently.

`plan_settings` is pure: from the rendered CI workflow it takes the required checks (one per job,
as GitHub names a job's check: its `name:` or its id), the Actions variables and secrets the
workflow reads (`${{ vars.X }}`, `${{ secrets.X }}`), and from the catalog tags the topics.
`apply_settings` sets each of them through the API; every call converges to the plan, so a retry
after a failure part-way finishes what the first attempt left.
"""

import re

import yaml

from provisioning.drivers.base import PermanentError
from provisioning.git_host.github_api import GitHubClient

VARS = re.compile(r"\$\{\{\s*vars\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
SECRETS = re.compile(r"\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
TOPIC = re.compile(r"[^a-z0-9-]+")
# Secrets the portal can fill: name in the workflow -> the setting that holds the value.
SECRET_SETTINGS = {"GITOPS_TOKEN": "GITHUB_CI_GITOPS_TOKEN"}
AUTOMATIC_SECRETS = {"GITHUB_TOKEN"}  # GitHub gives every workflow run this one


def pipeline_checks(workflow: str) -> list[str]:
    """The check names the workflow's jobs report, in the file's order."""
    doc = yaml.safe_load(workflow) or {}
    jobs = doc.get("jobs") if isinstance(doc, dict) else None
    if not isinstance(jobs, dict):
        return []
    return [str((job or {}).get("name") or job_id) for job_id, job in jobs.items()]


def topic(tag: str) -> str:
    """A catalog tag as a GitHub topic: lowercase letters, digits and hyphens, 50 at most."""
    return TOPIC.sub("-", tag.lower()).strip("-")[:50]


def plan_settings(
    team: str, tags: list[str], workflow: str, values: dict[str, str]
) -> tuple[dict, list[str]]:
    """(the settings step's config, notes for what the portal cannot set).

    `values`: what the portal knows for variables a workflow may read (IMAGE, SERVICE_NAME, …);
    GITOPS_REPOSITORY is filled in by the host, which knows its organisation."""
    variables, notes = {}, []
    for name in sorted(set(VARS.findall(workflow))):
        if name == "GITOPS_REPOSITORY":
            variables[name] = {"repository": "gitops"}
        elif name in values:
            variables[name] = {"value": values[name]}
        else:
            notes.append(
                f"The pipeline reads the Actions variable {name}, which the portal does not "
                "know: set it in the repository's settings (Secrets and variables → Actions)."
            )
    secrets = {}
    for name in sorted(set(SECRETS.findall(workflow)) - AUTOMATIC_SECRETS):
        if name in SECRET_SETTINGS:
            secrets[name] = SECRET_SETTINGS[name]
        else:
            notes.append(
                f"The pipeline reads the Actions secret {name}: add it in the repository's "
                "settings (the portal never holds it)."
            )
    config = {
        "branch": "main",
        "topics": sorted({t for t in map(topic, tags) if t}),
        "required_checks": pipeline_checks(workflow),
        "required_reviews": 1,
        "team": team,
        "team_permission": "maintain",
        "variables": variables,
        "secrets": secrets,
    }
    return config, notes


def apply_settings(
    client: GitHubClient, name: str, config: dict, values: dict[str, str], secrets: dict[str, str]
) -> list[str]:
    """Make the repository's settings match `config`; what was done, as short phrases.

    `values`: the host's answers for variables marked {"repository": ...} (full names);
    `secrets`: secret name -> value, read from settings for this call only."""
    repo = client.get_repo(name)
    if repo is None:
        raise PermanentError(f"{client.org}/{name} does not exist: retry the request")
    done = []
    topics = config.get("topics") or []
    if sorted(repo.get("topics") or []) != sorted(topics):
        client.replace_topics(name, topics)
        done.append(f"topics {', '.join(topics) or '(none)'}")
    branch = config.get("branch", "main")
    checks = config.get("required_checks") or []
    client.protect_branch(name, branch, checks, int(config.get("required_reviews", 1)))
    done.append(f"{branch} protected (checks {', '.join(checks) or 'none'}, review required)")
    if team := config.get("team"):
        client.grant_team(name, team, config.get("team_permission", "maintain"))
        done.append(f"team {team} maintains it")
    changed = [
        key
        for key, spec in (config.get("variables") or {}).items()
        if client.set_variable(name, key, spec["value"] if "value" in spec else values[key])
    ]
    if changed:
        done.append(f"variables {', '.join(changed)} set")
    for key, value in secrets.items():
        client.set_secret(name, key, value)
        done.append(f"secret {key} set")
    return done
