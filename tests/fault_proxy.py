"""An HTTP proxy on loopback, in front of a moto server, that injects AWS failures on demand.

    proxy.fail("CreateBucket", times=2, code="SlowDown", status=503)   # then pass through
    proxy.throttle("CreateQueue", times=5)      # the service's own throttling error
    proxy.lose_response("CreateDBInstance")     # forward to moto, then drop the connection
    FaultProxy(upstream, latency=0.05)          # every request 50 ms slower: a real provider

It forwards any HTTP, so with `latency` it also slows a Vault server down. As a process of its
own (the provisioning benchmark's): `python -m tests.fault_proxy UPSTREAM --latency 0.05`
prints its URL on one line and serves until it is terminated.

Requests are named by their API action: the `Action=` of query-protocol bodies (EC2, RDS), the
`X-Amz-Target` of JSON ones (SQS), and for S3 (REST) a name made from the method and the
sub-resource: `CreateBucket`, `PutBucketVersioning`, `GetBucketTagging`, `HeadBucket`, ….
"""

import argparse
import http.client
import json
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "expect",
    "te",
    "trailer",
    "content-length",
}
THROTTLING = {  # each service's real throttling answer: (HTTP status, error code)
    "s3": (503, "SlowDown"),
    "sqs": (400, "RequestThrottled"),
    "ec2": (503, "RequestLimitExceeded"),
    "rds": (400, "Throttling"),
}
S3_PLAIN = {
    "PUT": "CreateBucket",
    "DELETE": "DeleteBucket",
    "HEAD": "HeadBucket",
    "GET": "ListObjects",
}


@dataclass
class Fault:
    action: str | None  # None: any request
    times: int
    mode: str  # "error" | "lose"
    status: int = 500
    code: str = "InternalError"
    message: str = "injected by the fault proxy"


def service_of(headers) -> str:
    """The signing service from the SigV4 Authorization header's credential scope."""
    authorization = headers.get("Authorization", "")
    scope = authorization.split("Credential=", 1)[-1].split(",", 1)[0].split("/")
    return scope[3] if len(scope) > 3 else ""


def action_of(method: str, path: str, headers, body: bytes) -> str:
    if target := headers.get("X-Amz-Target"):
        return target.rsplit(".", 1)[-1]
    if headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        return parse_qs(body.decode()).get("Action", [""])[0]
    query = urlsplit(path).query
    subresource = next((part.split("=")[0] for part in query.split("&") if part), "")
    if not subresource or subresource in {"list-type", "prefix", "max-keys", "encoding-type"}:
        return S3_PLAIN.get(method, method)
    verb = {"PUT": "Put", "GET": "Get", "DELETE": "Delete", "HEAD": "Head"}.get(method, method)
    return f"{verb}Bucket{subresource[:1].upper()}{subresource[1:]}"


def error_response(service: str, status: int, code: str, message: str) -> tuple[int, dict, bytes]:
    """An error in the wire format the service's protocol uses, as botocore parses it."""
    if service == "sqs":
        body = json.dumps({"__type": f"com.amazonaws.sqs#{code}", "message": message}).encode()
        headers = {
            "Content-Type": "application/x-amz-json-1.0",
            "x-amzn-query-error": f"{code};Sender",
        }
        return status, headers, body
    if service == "ec2":
        xml = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error>"
            "</Errors><RequestID>fault-proxy</RequestID></Response>"
        )
    elif service == "s3":
        xml = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    else:
        xml = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}"
            "</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
        )
    return status, {"Content-Type": "text/xml"}, xml.encode()


class FaultProxy:
    """Forward every request to `upstream` unless a queued fault matches its action."""

    def __init__(
        self, upstream: str, latency: float = 0.0, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        """`latency`: seconds every request waits before it is forwarded (or answered by a
        fault), as if the provider were that far away."""
        self.latency, self._sleep = latency, sleep
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname, parts.port
        self.faults: list[Fault] = []
        self.actions: list[str] = []  # every request seen, in order
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(
        self,
        action: str | None,
        times: int = 1,
        status: int = 500,
        code: str = "InternalError",
        message: str = "injected by the fault proxy",
    ) -> None:
        with self._lock:
            self.faults.append(Fault(action, times, "error", status, code, message))

    def throttle(self, action: str | None, times: int = 1) -> None:
        """The matching service's own throttling error, `times` times (status looked up later)."""
        with self._lock:
            self.faults.append(Fault(action, times, "throttle"))

    def lose_response(self, action: str | None, times: int = 1) -> None:
        with self._lock:
            self.faults.append(Fault(action, times, "lose"))

    def delay(self, action: str | None, seconds: float, times: int = 1) -> None:
        """Hold the request `seconds` before forwarding it: a slow provider (to kill a worker
        while it waits)."""
        with self._lock:
            self.faults.append(Fault(action, times, "delay", message=str(seconds)))

    def count(self, action: str) -> int:
        return self.actions.count(action)

    def _take_fault(self, action: str) -> Fault | None:
        with self._lock:
            self.actions.append(action)
            for fault in self.faults:
                if fault.times > 0 and fault.action in (None, action):
                    fault.times -= 1
                    return fault
        return None

    def _forward(self, method: str, path: str, headers, body: bytes) -> tuple[int, list, bytes]:
        connection = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=30)
        try:
            forwarded = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP}
            connection.request(method, path, body=body or None, headers=forwarded)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection: nothing to keep in step

            def log_message(self, format, *args) -> None:  # noqa: A002 - quiet in tests
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                action = action_of(self.command, self.path, self.headers, body)
                fault = proxy._take_fault(action)
                if proxy.latency:
                    proxy._sleep(proxy.latency)
                if fault is not None and fault.mode == "delay":
                    proxy._sleep(float(fault.message))
                    fault = None
                if fault is None or fault.mode == "lose":
                    status, headers, payload = proxy._forward(
                        self.command, self.path, self.headers, body
                    )
                    if fault is not None:  # the provider did the work; the caller never hears
                        self.close_connection = True
                        return
                else:
                    service = service_of(self.headers)
                    code_status = THROTTLING.get(service, (503, "SlowDown"))
                    status, code = (
                        code_status if fault.mode == "throttle" else (fault.status, fault.code)
                    )
                    status, extra, payload = error_response(service, status, code, fault.message)
                    headers = list(extra.items())
                self._reply(status, headers, payload)

            def _reply(self, status: int, headers: list, payload: bytes) -> None:
                self.send_response(status)
                for key, value in headers:
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        return Handler


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fault_proxy", description=__doc__)
    parser.add_argument("upstream", help="the server to forward to, e.g. http://127.0.0.1:5000")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    proxy = FaultProxy(args.upstream, latency=args.latency)
    proxy.start()
    print(proxy.url, flush=True)
    stop.wait()
    proxy.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
