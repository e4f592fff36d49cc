"""A loopback server that answers like the observability stack's read APIs, for contract tests.

Shapes follow the APIs' references: Prometheus HTTP API (prometheus.io/docs/prometheus/latest/
querying/api/: /api/v1/targets with activeTargets/droppedTargets, /api/v1/rules with groups of
rules typed "alerting"/"recording", the {"status": "error", "errorType", "error"} body), Grafana's
search API (grafana.com/docs/grafana/latest/developers/http_api/folder_dashboard_search/: a list
of hits with uid, title, url, type dash-db, tags; `limit` and `page`; bearer token or 401
{"message": "Unauthorized"}), Loki's /loki/api/v1/label/<name>/values and Tempo's
/api/search/tag/<tag>/values.

`apply_bundle(files)` plays a cluster that applied a bundle from the GitOps repository: its
ServiceMonitor becomes a healthy target, its PrometheusRule loaded rules, its dashboard ConfigMap
a Grafana dashboard; the workload then sends logs and traces.
"""

import json
from typing import Any

import yaml

from tests.contract_server import TIMESTAMP, Call, ContractServer, Reply


class StackServer(ContractServer):
    def __init__(self, grafana_token: str = "grafana-test-token") -> None:
        super().__init__()
        self.grafana_token = grafana_token
        self.targets: list[dict] = []
        self.rule_groups: list[dict] = []
        self.dashboards: list[dict] = []
        self.log_services: set[str] = set()
        self.trace_services: set[str] = set()

    def error_body(self, status: int, message: str) -> Any:
        return {"status": "error", "errorType": "server_error", "error": message}

    # --- state -----------------------------------------------------------------------------

    def add_target(self, service: str, namespace: str, health: str = "up", **labels: str) -> None:
        self.targets.append(
            {
                "discoveredLabels": {"__address__": "10.0.0.7:8080"},
                "labels": {
                    "instance": "10.0.0.7:8080",
                    "job": service,
                    "namespace": namespace,
                    "service": service,
                    "pod": f"{service}-5d9c7b8f6-abcde",
                    **labels,
                },
                "scrapePool": f"serviceMonitor/{namespace}/{service}/0",
                "scrapeUrl": "http://10.0.0.7:8080/metrics",
                "globalUrl": "http://10.0.0.7:8080/metrics",
                "lastError": "" if health == "up" else "connection refused",
                "lastScrape": TIMESTAMP,
                "lastScrapeDuration": 0.004,
                "health": health,
                "scrapeInterval": "30s",
                "scrapeTimeout": "10s",
            }
        )

    def add_rule_group(self, name: str, rules: list[dict], namespace: str) -> None:
        self.rule_groups.append(
            {
                "name": name,
                "file": f"/etc/prometheus/rules/prometheus-k8s-rulefiles-0/{namespace}.yaml",
                "rules": [
                    {
                        "state": "inactive",
                        "name": rule["alert"],
                        "query": rule["expr"],
                        "duration": 300,
                        "labels": rule.get("labels", {}),
                        "annotations": rule.get("annotations", {}),
                        "alerts": [],
                        "health": "ok",
                        "evaluationTime": 0.0004,
                        "lastEvaluation": TIMESTAMP,
                        "type": "alerting",
                    }
                    for rule in rules
                ],
                "interval": 30,
                "limit": 0,
                "evaluationTime": 0.001,
                "lastEvaluation": TIMESTAMP,
            }
        )

    def add_dashboard(self, uid: str, title: str, tags: list[str]) -> None:
        self.dashboards.append(
            {
                "id": len(self.dashboards) + 1,
                "uid": uid,
                "title": title,
                "uri": f"db/{uid}",
                "url": f"/d/{uid}/{uid}",
                "slug": "",
                "type": "dash-db",
                "tags": tags,
                "isStarred": False,
                "folderUid": "platform",
                "folderTitle": "Platform",
                "sortMeta": 0,
            }
        )

    def apply_bundle(self, files: dict[str, str]) -> None:
        docs = {name: yaml.safe_load(text) for name, text in files.items()}
        monitor = docs.get("servicemonitor.yaml")
        if monitor:
            meta = monitor["metadata"]
            self.add_target(meta["name"], meta["namespace"])
        rule = docs.get("prometheusrule.yaml")
        if rule:
            for group in rule["spec"]["groups"]:
                self.add_rule_group(group["name"], group["rules"], rule["metadata"]["namespace"])
        board = docs.get("dashboard.yaml")
        if board:
            content = json.loads(next(iter(board["data"].values())))
            self.add_dashboard(content["uid"], content["title"], content["tags"])
        otel = docs.get("otel-env.yaml")
        if otel:
            self.trace_services.add(otel["data"]["OTEL_SERVICE_NAME"])
            self.log_services.add(otel["data"]["OTEL_SERVICE_NAME"])

    # --- answers ---------------------------------------------------------------------------

    def handle(self, call: Call) -> Reply:
        if call.method != "GET":
            return Reply(405, {"status": "error", "errorType": "bad_data", "error": "GET only"})
        routes = {
            "/api/v1/targets": self._targets,
            "/api/v1/rules": self._rules,
            "/api/search": self._search,
            "/loki/api/v1/label/service/values": self._loki,
            "/api/search/tag/service.name/values": self._tempo,
            # build information, read by the integrations page's "Test connection"
            "/api/v1/status/buildinfo": lambda call: Reply(
                200, {"status": "success", "data": {"version": "2.53.0", "revision": "1b4f4c9"}}
            ),
            "/loki/api/v1/status/buildinfo": lambda call: Reply(
                200, {"version": "3.1.0", "revision": "935aee7", "branch": "HEAD"}
            ),
            "/api/status/buildinfo": lambda call: Reply(
                200, {"version": "2.5.0", "revision": "46dad34", "branch": "HEAD"}
            ),
        }
        route = routes.get(call.path)
        if route is None:
            return Reply(404, {"message": "Not found"})
        return route(call)

    def _query(self, call: Call, name: str, default: str = "") -> str:
        return (call.query.get(name) or [default])[0]

    def _targets(self, call: Call) -> Reply:
        state = self._query(call, "state", "any")
        if state not in {"active", "dropped", "any"}:
            return Reply(
                400, self.error_body(400, f'invalid state "{state}"') | {"errorType": "bad_data"}
            )
        active = self.targets if state in {"active", "any"} else []
        data = {"activeTargets": active, "droppedTargets": [], "droppedTargetCounts": {}}
        return Reply(200, {"status": "success", "data": data})

    def _rules(self, call: Call) -> Reply:
        kind = self._query(call, "type")
        if kind not in {"", "alert", "record"}:
            return Reply(
                400,
                {"status": "error", "errorType": "bad_data", "error": f'unsupported type "{kind}"'},
            )
        wanted = {"alert": "alerting", "record": "recording"}.get(kind)
        groups = [
            g | {"rules": [r for r in g["rules"] if not wanted or r["type"] == wanted]}
            for g in self.rule_groups
        ]
        return Reply(200, {"status": "success", "data": {"groups": groups}})

    def _search(self, call: Call) -> Reply:
        if call.headers.get("authorization") != f"Bearer {self.grafana_token}":
            return Reply(401, {"message": "Unauthorized", "traceID": ""})
        tags = call.query.get("tag", [])
        hits = [d for d in self.dashboards if all(t in d["tags"] for t in tags)]
        limit = int(self._query(call, "limit", "1000"))
        page = int(self._query(call, "page", "1"))
        if limit > 5000:
            return Reply(422, {"message": "Limit is above maximum allowed (5000), use page"})
        return Reply(200, hits[(page - 1) * limit : page * limit])

    def _loki(self, call: Call) -> Reply:
        return Reply(200, {"status": "success", "data": sorted(self.log_services)})

    def _tempo(self, call: Call) -> Reply:
        return Reply(200, {"tagValues": sorted(self.trace_services)})
