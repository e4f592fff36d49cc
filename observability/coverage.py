"""Coverage rules, as pure functions (docs/observability.md explains them to people).

For one service and the environments in scope:
1. a signal is `configured` when, in every environment, the bundle's folder in the GitOps
   repository holds all of that signal's files (bundle.SIGNAL_FILES); otherwise `missing`;
2. a configured signal is `verified` when the stack confirms it for the service: a healthy
   Prometheus target (metrics), a loaded alerting rule (alerts), a Grafana dashboard tagged with
   the service (dashboard), a Loki `service` label value (logs), a Tempo `service.name` (traces);
3. a service is fully covered when all five signals are configured or verified.
"""

from observability.bundle import configured_signals, digest_of_blobs, k8s_name
from observability.choices import SIGNALS, SignalStatus
from observability.gitops import BundleIndex
from observability.stack import StackReport


def environment_details(service: str, environments: list[str], index: BundleIndex) -> dict:
    """{env: {"digest", "signals"}} for every environment in scope ("" and [] without a
    bundle folder), so pages read the environments from the row itself."""
    details = {}
    for env in environments:
        blobs = index.get((service, env)) or {}
        details[env] = {
            "digest": digest_of_blobs(blobs) if blobs else "",
            "signals": configured_signals(list(blobs)),
        }
    return details


def signal_statuses(
    service: str, environments: list[str], details: dict, report: StackReport
) -> dict[str, str]:
    workload = k8s_name(service)
    statuses = {}
    for signal in SIGNALS:
        configured = bool(environments) and all(
            signal in details.get(env, {}).get("signals", ()) for env in environments
        )
        if not configured:
            statuses[signal] = SignalStatus.MISSING
        elif report.confirms(signal, workload):
            statuses[signal] = SignalStatus.VERIFIED
        else:
            statuses[signal] = SignalStatus.CONFIGURED
    return statuses


def summary(statuses: dict[str, str]) -> tuple[int, bool]:
    """(how many signals are at least configured, whether all five are)."""
    present = sum(1 for s in statuses.values() if s != SignalStatus.MISSING)
    return present, present == len(SIGNALS)
