"""The observability stack's loopback server, with Grafana's folder and dashboard write API.

Grafana's calls (GET /api/search, POST /api/folders, GET /api/folders/<uid>, POST
/api/dashboards/db) are checked against Grafana's published OpenAPI description (the extract
tests/contracts/grafana-http.json; source in SOURCES.md), and so is every reply; mismatches are
collected in `problems`. Behaviour follows Grafana's folder and dashboard HTTP API docs: a
folder uid that exists answers 409 on create; a dashboard with an existing uid is refused (412)
unless `overwrite` is true, and each save adds a version. A saved dashboard shows in search.
"""

from typing import Any

from tests.contract_server import Call, Reply
from tests.contracts.openapi import Description
from tests.observability.stack_server import StackServer

SPEC = Description("grafana-http.json", prefix="/api")
GRAFANA_PATHS = ("/api/search", "/api/folders", "/api/dashboards/db")


class GrafanaServer(StackServer):
    def __init__(self, grafana_token: str = "grafana-test-token") -> None:
        super().__init__(grafana_token)
        self.problems: list[str] = []
        self.folders: dict[str, dict] = {}
        self.saved: dict[str, dict] = {}  # uid → {"dashboard", "folderUid", "version"}

    def handle(self, call: Call) -> Reply:
        if not call.path.startswith(GRAFANA_PATHS):
            return super().handle(call)
        self.problems += SPEC.request_problems(call.method, call.path, call.query, call.body)
        if call.headers.get("authorization") != f"Bearer {self.grafana_token}":
            reply = Reply(401, {"message": "Unauthorized"})
        elif call.method == "GET" and call.path == "/api/search":
            reply = self._search(call)
        elif call.method == "POST" and call.path == "/api/folders":
            reply = self._create_folder(call.body)
        elif call.method == "GET" and call.path.startswith("/api/folders/"):
            reply = self._folder(call.path.removeprefix("/api/folders/"))
        elif call.method == "POST" and call.path == "/api/dashboards/db":
            reply = self._save(call.body)
        else:
            reply = Reply(404, {"message": "Not found"})
        self.problems += SPEC.response_problems(call.method, call.path, reply.status, reply.body)
        return reply

    def error_body(self, status: int, message: str) -> Any:
        return {"message": message}

    def _folder(self, uid: str) -> Reply:
        folder = self.folders.get(uid)
        return Reply(200, folder) if folder else Reply(404, {"message": "folder not found"})

    def _create_folder(self, body: dict) -> Reply:
        uid = body.get("uid") or f"f{len(self.folders) + 1}"
        if uid in self.folders:
            return Reply(409, {"message": "a folder with the same uid already exists"})
        folder = {
            "id": len(self.folders) + 1,
            "uid": uid,
            "title": body["title"],
            "url": f"/dashboards/f/{uid}/",
            "version": 1,
            "canEdit": True,
        }
        self.folders[uid] = folder
        return Reply(200, folder)

    def _save(self, body: dict) -> Reply:
        dashboard, folder_uid = body["dashboard"], body.get("folderUid", "")
        uid = dashboard.get("uid") or f"d{len(self.saved) + 1}"
        if folder_uid and folder_uid not in self.folders:
            return Reply(400, {"message": "folder not found"})
        current = self.saved.get(uid)
        if current and not body.get("overwrite"):
            return Reply(412, {"message": "A dashboard with the same uid already exists"})
        version = current["version"] + 1 if current else 1
        self.saved[uid] = {"dashboard": dashboard, "folderUid": folder_uid, "version": version}
        slug = dashboard["title"].lower().replace(" ", "-").replace("·", "").replace("--", "-")
        self.dashboards = [d for d in self.dashboards if d["uid"] != uid]
        self.add_dashboard(uid, dashboard["title"], dashboard.get("tags", []))
        return Reply(
            200,
            {
                "id": len(self.saved),
                "uid": uid,
                "url": f"/d/{uid}/{slug}",
                "status": "success",
                "version": version,
                "title": slug,
                "folderUid": folder_uid,
            },
        )
