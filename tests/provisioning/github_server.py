"""A loopback server that answers like GitHub's REST API and git's smart HTTP, for contract tests.

Every API request is checked against the operation GitHub's published description gives for it
(tests/provisioning/github_openapi: path, method, parameters, JSON body); what breaks it is kept
in `violations` (the fixture fails the test on any) and answered 422 as GitHub would. Answers are
built from the described response schemas (`Description.sample`) with the server's state laid
over them, and checked against those schemas too. The GitHub Enterprise prefix /api/v3 is
accepted.

State: repositories per organisation (each a real bare repository under `root`), topics, branch
protection, teams and their permissions, Actions variables, secrets (only that each was set, after
checking it opens with the repository's private key), workflow runs. Git pushes and fetches go to
`/<org>/<repo>.git/...`, served by the real `git http-backend` CGI; a push that brings a workflow
file adds a completed run, as GitHub Actions would.

Auth: `Authorization: Bearer <token>` on the API, `Basic x-access-token:<token>` on git; tokens
are the personal token given, or installation tokens the App exchanges its JWT for (checked with
the App's public key). `revoke(token)` makes a token answer 401 "Bad credentials".
"""

import base64
import copy
import hashlib
import subprocess
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self
from urllib.parse import unquote, urlsplit

import jwt
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from nacl.public import PrivateKey, SealedBox

from tests.contract_server import Call, ContractServer, Reply, _Handler, _QuietServer
from tests.provisioning.github_openapi.contract import Description

DOCS = "https://docs.github.com/rest"
DESCRIPTION = Description()


class GitHubError(Exception):
    def __init__(self, status: int, message: str, errors: list | None = None, headers=None):
        super().__init__(message)
        self.reply = Reply(status, {"message": message, "documentation_url": DOCS}, headers or {})
        if errors is not None:
            self.reply.body["errors"] = errors


class GitHubServer(ContractServer):
    """GitHub for one organisation, with a personal token and an App installation."""

    def __init__(self, root: Path, org: str = "acme", token: str = "ghp_contract") -> None:
        super().__init__()
        self.root, self.org = root, org
        self.tokens: dict[str, float] = {token: float("inf")}  # token -> expiry
        self.app_id, self.installation_id = "4242", "77"
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.app_private_key = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        self._app_public_key = key.public_key()
        self.teams: set[str] = set()
        self.repos: dict[str, dict] = {}  # name -> the repository's answer
        self.topics: dict[str, list[str]] = {}
        self.protection: dict[tuple[str, str], dict] = {}
        self.team_permissions: dict[tuple[str, str], str] = {}
        self.variables: dict[str, dict[str, str]] = {}
        self.secrets: dict[str, dict[str, str]] = {}  # repo -> name -> sha256 of the value
        self.runs: dict[str, list[dict]] = {}
        self.pulls: dict[str, list[dict]] = {}
        self.violations: list[str] = []
        self._secret_keys: dict[str, PrivateKey] = {}
        self._ids = iter(range(1000, 10**9))
        self._limits: list[list] = []

    def __enter__(self) -> Self:
        handler = type("Handler", (_GitHubHandler,), {"contract": self})
        http = self._http = _QuietServer(("127.0.0.1", 0), handler)
        threading.Thread(target=http.serve_forever, args=(0.02,), daemon=True).start()
        return self

    # --- test controls -----------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return self.url

    def revoke(self, token: str) -> None:
        self.tokens.pop(token, None)

    def bare(self, repo: str) -> Path:
        return self.root / self.org / f"{repo}.git"

    def add_repo_outside_portal(self, name: str) -> None:
        """A repository someone made by hand, with a commit the portal did not write."""
        self._create_repo({"name": name, "description": "made by hand"})
        subprocess.run(
            ["git", "--git-dir", str(self.bare(name)), "symbolic-ref", "HEAD", "refs/heads/main"],
            check=True,
        )
        tree = _git(self.bare(name), "mktree", stdin="")
        commit = _git(self.bare(name), "commit-tree", tree, "-m", "by hand")
        _git(self.bare(name), "update-ref", "refs/heads/main", commit)

    def rate_limit(self, method: str, path: str, retry_after: int, times: int = 1) -> None:
        """Answer the next `times` matching requests with GitHub's secondary rate limit: 403,
        its message and a `retry-after` header."""
        self._limits.append([method, path, retry_after, times])

    def respond(self, call: Call) -> Reply:
        for limit in self._limits:
            method, path, retry_after, times = limit
            if times > 0 and call.method == method and call.path == path:
                limit[3] -= 1
                self.calls.append(call)
                message = (
                    "You have exceeded a secondary rate limit. Please wait a few minutes before "
                    "you try again."
                )
                return Reply(403, self.error_body(403, message), {"retry-after": str(retry_after)})
        return super().respond(call)

    def error_body(self, status: int, message: str) -> Any:
        return {"message": message, "documentation_url": DOCS}

    # --- dispatch ----------------------------------------------------------------------------

    def handle(self, call: Call) -> Reply:
        path = call.path.removeprefix("/api/v3")
        found = DESCRIPTION.match(call.method, path)
        if found is None:
            self.violations.append(f"{call}: no such operation in GitHub's description")
            return Reply(404, self.error_body(404, "Not Found"))
        op, params = found
        problems = DESCRIPTION.check_request(op, params, call.query, call.body)
        if problems:
            self.violations += [f"{call.method} {op.template}: {p}" for p in problems]
            return Reply(422, {"message": "Invalid request.", "documentation_url": DOCS,
                               "errors": problems})  # fmt: skip
        try:
            self._authenticate(op.template, call.headers.get("authorization", ""))
            handler = getattr(self, "op_" + _op_name(op.method, op.template))
            reply = handler(call, **params)
        except GitHubError as error:
            reply = error.reply
        for problem in DESCRIPTION.check_response(op, reply.status, reply.body):
            self.violations.append(f"server answer to {call}: {problem}")
        return reply

    def _authenticate(self, template: str, header: str) -> None:
        scheme, _, credential = header.partition(" ")
        if template.startswith("/app/"):
            try:
                claims = jwt.decode(credential, self._app_public_key, algorithms=["RS256"])
            except jwt.PyJWTError as exc:
                raise GitHubError(401, f"A JSON web token could not be decoded ({exc})") from None
            if str(claims.get("iss")) != self.app_id:
                raise GitHubError(401, "Integration not found")
            return
        if (
            scheme.lower() not in ("bearer", "token")
            or self.tokens.get(credential, 0) < time.time()
        ):
            raise GitHubError(401, "Bad credentials")

    # --- operations --------------------------------------------------------------------------

    def op_post_app_installations_access_tokens(self, call: Call, installation_id: str) -> Reply:
        if installation_id != self.installation_id:
            raise GitHubError(404, "Not Found")
        token = f"ghs_{uuid.uuid4().hex}"
        expires = datetime.now(UTC) + timedelta(hours=1)
        self.tokens[token] = expires.timestamp()
        body = _sample("installation-token") | {
            "token": token,
            "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        return Reply(201, body)

    def op_post_orgs_repos(self, call: Call, org: str) -> Reply:
        self._org(org)
        if call.body["name"] in self.repos:
            raise GitHubError(
                422,
                "Repository creation failed.",
                [{"resource": "Repository", "code": "custom", "field": "name",
                  "message": "name already exists on this account"}],
            )  # fmt: skip
        return Reply(201, self._create_repo(call.body))

    def op_get_repos(self, call: Call, owner: str, repo: str) -> Reply:
        return Reply(200, self._repo(owner, repo))

    def op_patch_repos(self, call: Call, owner: str, repo: str) -> Reply:
        answer = self._repo(owner, repo)
        for key in ("description", "default_branch", "visibility", "has_wiki"):
            if key in call.body:
                answer[key] = call.body[key]
        return Reply(200, answer)

    def op_put_repos_topics(self, call: Call, owner: str, repo: str) -> Reply:
        self._repo(owner, repo)["topics"] = list(call.body["names"])
        self.topics[repo] = list(call.body["names"])
        return Reply(200, {"names": self.topics[repo]})

    def op_get_repos_branches_protection(self, call, owner, repo, branch) -> Reply:
        self._repo(owner, repo)
        if (repo, branch) not in self.protection:
            raise GitHubError(404, "Branch not protected")
        return Reply(200, self._protection_answer(repo, branch))

    def op_put_repos_branches_protection(self, call, owner, repo, branch) -> Reply:
        self._repo(owner, repo)
        if not _git_ok(self.bare(repo), "rev-parse", "--verify", f"refs/heads/{branch}"):
            raise GitHubError(404, "Branch not found")
        self.protection[(repo, branch)] = copy.deepcopy(call.body)
        self._guard(repo)
        return Reply(200, self._protection_answer(repo, branch))

    def op_put_orgs_teams_repos(self, call, org, team_slug, owner, repo) -> Reply:
        self._org(org)
        self._repo(owner, repo)
        if team_slug not in self.teams:
            raise GitHubError(404, "Not Found")
        self.team_permissions[(team_slug, repo)] = call.body.get("permission", "push")
        return Reply(204)

    def op_post_repos_actions_variables(self, call, owner, repo) -> Reply:
        self._repo(owner, repo)
        variables = self.variables.setdefault(repo, {})
        if call.body["name"] in variables:
            raise GitHubError(409, "Already exists - Variable already exists")
        variables[call.body["name"]] = call.body["value"]
        return Reply(201, {})

    def op_get_repos_actions_variables(self, call, owner, repo, name) -> Reply:
        self._repo(owner, repo)
        if name not in self.variables.get(repo, {}):
            raise GitHubError(404, "Not Found")
        body = _sample("actions-variable") | {"name": name, "value": self.variables[repo][name]}
        return Reply(200, body)

    def op_patch_repos_actions_variables(self, call, owner, repo, name) -> Reply:
        self._repo(owner, repo)
        if name not in self.variables.get(repo, {}):
            raise GitHubError(404, "Not Found")
        self.variables[repo][name] = call.body.get("value", self.variables[repo][name])
        return Reply(204)

    def op_get_repos_actions_secrets_public_key(self, call, owner, repo) -> Reply:
        self._repo(owner, repo)
        key = self._secret_keys.setdefault(repo, PrivateKey.generate())
        public = base64.b64encode(bytes(key.public_key)).decode()
        return Reply(200, {"key_id": _key_id(key), "key": public})

    def op_put_repos_actions_secrets(self, call, owner, repo, secret_name) -> Reply:
        self._repo(owner, repo)
        key = self._secret_keys.get(repo)
        if key is None or call.body["key_id"] != _key_id(key):
            raise GitHubError(422, "Bad request - key_id does not match the repository's key")
        try:
            value = SealedBox(key).decrypt(base64.b64decode(call.body["encrypted_value"]))
        except Exception:
            raise GitHubError(422, "Bad request - encrypted_value does not decrypt") from None
        created = secret_name not in self.secrets.setdefault(repo, {})
        self.secrets[repo][secret_name] = hashlib.sha256(value).hexdigest()
        return Reply(201 if created else 204, {} if created else None)

    def op_get_repos_actions_runs(self, call, owner, repo) -> Reply:
        self._repo(owner, repo)
        branch = call.query.get("branch", [""])[-1]
        limit = int(call.query.get("per_page", ["30"])[-1])
        runs = [r for r in self.runs.get(repo, []) if not branch or r["head_branch"] == branch]
        runs = sorted(runs, key=lambda r: r["id"], reverse=True)
        return Reply(200, {"total_count": len(runs), "workflow_runs": runs[:limit]})

    def op_get_repos_pulls(self, call, owner, repo) -> Reply:
        self._repo(owner, repo)
        head = call.query.get("head", [""])[-1]
        state = call.query.get("state", ["open"])[-1]
        found = [
            p for p in self.pulls.get(repo, [])
            if (not head or f"{owner}:{p['head']['ref']}" == head)
            and (state == "all" or p["state"] == state)
        ]  # fmt: skip
        return Reply(200, found)

    def op_post_repos_pulls(self, call, owner, repo) -> Reply:
        self._repo(owner, repo)
        head, base = call.body["head"], call.body["base"]
        for branch in (head, base):
            if not _git_ok(self.bare(repo), "rev-parse", "--verify", f"refs/heads/{branch}"):
                raise GitHubError(422, "Validation Failed", [
                    {"resource": "PullRequest", "field": "head", "code": "invalid"}
                ])  # fmt: skip
        if any(p["head"]["ref"] == head and p["state"] == "open" for p in self.pulls.get(repo, [])):
            raise GitHubError(422, "Validation Failed", [
                {"resource": "PullRequest", "code": "custom",
                 "message": f"A pull request already exists for {owner}:{head}."}
            ])  # fmt: skip
        number = len(self.pulls.get(repo, [])) + 1
        answer = _sample("pull-request") | {
            "number": number,
            "state": "open",
            "title": call.body.get("title", ""),
            "body": call.body.get("body"),
            "html_url": f"{self.url}/{self.org}/{repo}/pull/{number}",
        }
        answer["head"] = {**answer["head"], "ref": head, "label": f"{owner}:{head}"}
        answer["base"] = {**answer["base"], "ref": base, "label": f"{owner}:{base}"}
        self.pulls.setdefault(repo, []).append(answer)
        return Reply(201, answer)

    # --- state helpers -----------------------------------------------------------------------

    def _org(self, org: str) -> None:
        if org.lower() != self.org.lower():
            raise GitHubError(404, "Not Found")

    def _repo(self, owner: str, repo: str) -> dict:
        self._org(owner)
        if repo not in self.repos:
            raise GitHubError(404, "Not Found")
        return self.repos[repo]

    def _create_repo(self, body: dict) -> dict:
        name = body["name"]
        bare = self.bare(name)
        bare.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["git", "init", "--bare", "--quiet", "--initial-branch=main", str(bare)], check=True
        )
        _git(bare, "config", "http.receivepack", "true")
        answer = _sample("full-repository") | {
            "id": next(self._ids),
            "name": name,
            "full_name": f"{self.org}/{name}",
            "description": body.get("description"),
            "visibility": body.get("visibility", "private"),
            "private": body.get("visibility", "private") != "public",
            "default_branch": "main",
            "html_url": f"{self.url}/{self.org}/{name}",
            "url": f"{self.url}/repos/{self.org}/{name}",
            "clone_url": f"{self.url}/{self.org}/{name}.git",
            "size": 0,
        }
        answer["owner"] = {**answer["owner"], "login": self.org, "type": "Organization"}
        self.repos[name] = answer
        return answer

    def _guard(self, repo: str) -> None:
        """Refuse pushes to the repository's protected branches, as GitHub does for anyone who
        may not bypass the rule (the portal's token here): a pre-receive hook with GH006."""
        refs = [f"refs/heads/{b}" for r, b in self.protection if r == repo]
        hook = self.bare(repo) / "hooks" / "pre-receive"
        hook.write_text(
            '#!/bin/sh\nwhile read old new ref; do\n  case " ' + " ".join(refs) + ' " in\n'
            '    *" $ref "*) echo "error: GH006: Protected branch update failed for $ref." >&2\n'
            '      echo "error: Changes must be made through a pull request." >&2; exit 1;;\n'
            "  esac\ndone\n"
        )
        hook.chmod(0o755)

    def _protection_answer(self, repo: str, branch: str) -> dict:
        stored = self.protection[(repo, branch)]
        url = f"{self.url}/repos/{self.org}/{repo}/branches/{branch}/protection"
        checks = (stored.get("required_status_checks") or {}).get("checks", [])
        reviews = stored.get("required_pull_request_reviews") or {}
        answer = _sample("protected-branch") | {"url": url}
        answer["required_status_checks"] = {
            "url": f"{url}/required_status_checks",
            "strict": stored["required_status_checks"]["strict"],
            "contexts": [c["context"] for c in checks],
            "checks": [{"context": c["context"], "app_id": None} for c in checks],
            "contexts_url": f"{url}/required_status_checks/contexts",
        }
        answer["required_pull_request_reviews"] = {
            "url": f"{url}/required_pull_request_reviews",
            "dismiss_stale_reviews": reviews.get("dismiss_stale_reviews", False),
            "require_code_owner_reviews": False,
            "required_approving_review_count": reviews.get("required_approving_review_count", 1),
        }
        answer["enforce_admins"] = {"url": f"{url}/enforce_admins", "enabled": False}
        return answer

    # --- git smart HTTP ----------------------------------------------------------------------

    def serve_git(self, method: str, target: str, headers: dict, body: bytes) -> Reply:
        """Run `git http-backend` for one smart-HTTP request; record pushes' workflow runs."""
        parts = urlsplit(target)
        repo = unquote(parts.path).split("/")[2].removesuffix(".git")
        if not self._git_authorised(headers.get("authorization", "")):
            return Reply(401, b"", {"WWW-Authenticate": 'Basic realm="GitHub"'})
        if repo not in self.repos:
            return Reply(404, b"Repository not found.\n", {"Content-Type": "text/plain"})
        env = {
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": unquote(parts.path),
            "REQUEST_METHOD": method,
            "QUERY_STRING": parts.query,
            "CONTENT_TYPE": headers.get("content-type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_USER": "x-access-token",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_CONTENT_ENCODING": headers.get("content-encoding", ""),
            "HTTP_GIT_PROTOCOL": headers.get("git-protocol", ""),
            "PATH": "/usr/bin:/bin",
        }
        out = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, timeout=60
        ).stdout
        head, _, payload = (
            out.partition(b"\r\n\r\n") if b"\r\n\r\n" in out else out.partition(b"\n\n")
        )
        status, reply_headers = 200, {}
        for line in head.decode().splitlines():
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.split()[0])
            else:
                reply_headers[key.strip()] = value.strip()
        if parts.path.endswith("/git-receive-pack") and status == 200:
            self._record_runs(repo)
        return Reply(status, payload, reply_headers)

    def _git_authorised(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        user, _, token = base64.b64decode(encoded).decode().partition(":")
        return self.tokens.get(token, 0) >= time.time()

    def _record_runs(self, repo: str) -> None:
        """Play GitHub Actions: a completed run of each workflow at each pushed branch head."""
        bare = self.bare(repo)
        refs = _git(bare, "for-each-ref", "--format=%(refname:short) %(objectname)", "refs/heads")
        for line in refs.splitlines():
            branch, sha = line.split()
            if any(r["head_sha"] == sha for r in self.runs.get(repo, [])):
                continue
            listing = _git(bare, "ls-tree", "--name-only", f"{sha}:.github/workflows", check=False)
            for path in filter(None, listing.splitlines()):
                text = _git(bare, "cat-file", "blob", f"{sha}:.github/workflows/{path}")
                name = (yaml.safe_load(text) or {}).get("name") or path
                self.runs.setdefault(repo, []).append(self._run(repo, name, branch, sha, path))

    def _simple_commit(self, repo: str, sha: str) -> dict:
        """The run's head commit as GitHub's `simple-commit` schema shapes it, read from git."""
        fields = "%T%x00%B%x00%cI%x00%an%x00%ae%x00%cn%x00%ce"
        out = _git(self.bare(repo), "show", "-s", f"--format={fields}", sha)
        tree, message, when, author, email, committer, committer_email = out.split("\0")
        return {
            "id": sha,
            "tree_id": tree,
            "message": message.strip(),
            "timestamp": when.strip(),
            "author": {"name": author, "email": email},
            "committer": {"name": committer, "email": committer_email.strip()},
        }

    def _run(self, repo: str, name: str, branch: str, sha: str, path: str) -> dict:
        run_id = next(self._ids)
        return _sample("workflow-run") | {
            "id": run_id,
            "name": name,
            "head_branch": branch,
            "head_sha": sha,
            "path": f".github/workflows/{path}",
            "run_number": len(self.runs.get(repo, [])) + 1,
            "event": "push",
            "status": "completed",
            "conclusion": "success",
            "html_url": f"{self.url}/{self.org}/{repo}/actions/runs/{run_id}",
            "head_commit": self._simple_commit(repo, sha),
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:02:00Z",
        }


def _sample(schema: str) -> dict:
    return DESCRIPTION.sample({"$ref": f"#/components/schemas/{schema}"})


def _op_name(method: str, template: str) -> str:
    words = [w for w in template.split("/") if w and not w.startswith("{")]
    return "_".join([method.lower(), *words]).replace("-", "_")


def _key_id(key: PrivateKey) -> str:
    return hashlib.sha256(bytes(key.public_key)).hexdigest()[:20]


def _git(repo: Path, *args: str, stdin: str | None = None, check: bool = True) -> str:
    result = subprocess.run(
        ["git", f"--git-dir={repo}", *args], input=stdin, capture_output=True, text=True,
        check=check,
    )  # fmt: skip
    return result.stdout.strip()


def _git_ok(repo: Path, *args: str) -> bool:
    result = subprocess.run(["git", f"--git-dir={repo}", *args], capture_output=True, check=False)
    return result.returncode == 0


class _GitHubHandler(_Handler):
    """The contract server's JSON handler, with git's smart-HTTP paths sent to http-backend."""

    contract: GitHubServer

    def _serve(self) -> None:
        path = urlsplit(self.path).path
        if not (".git/" in path and path.count("/") >= 3 and not path.startswith("/repos/")):
            return super()._serve()
        body = self._body()
        headers = {key.lower(): value for key, value in self.headers.items()}
        reply = self.contract.serve_git(self.command, self.path, headers, body)
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve
