"""A loopback OTLP/HTTP trace receiver, for the portal's own tracing (contract test).

Follows the OTLP specification's OTLP/HTTP section (opentelemetry.io/docs/specs/otlp/#otlphttp,
spec 1.x): `POST /v1/traces` with `Content-Type: application/x-protobuf` (or gzip
`Content-Encoding`), the body an `ExportTraceServiceRequest` of opentelemetry-proto
(opentelemetry/proto/collector/trace/v1/trace_service.proto, decoded with the published
message classes); success is 200 with an `ExportTraceServiceResponse`, a body that does not
decode is 400, another media type 415, another path 404. Every refusal is kept in `problems`.
"""

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

PROTOBUF = "application/x-protobuf"


class OtlpReceiver:
    """Collects the spans exported to it: `spans` as (service.name, span name, attributes)."""

    def __init__(self) -> None:
        self.spans: list[tuple[str, str, dict]] = []
        self.problems: list[str] = []
        self._http: ThreadingHTTPServer | None = None

    def __enter__(self) -> Self:
        handler = type("Handler", (_Handler,), {"receiver": self})
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._http.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._http.shutdown()
        self._http.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def accept(self, export: ExportTraceServiceRequest) -> None:
        for resource_spans in export.resource_spans:
            resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    attributes = {a.key: _value(a.value) for a in span.attributes}
                    self.spans.append((resource.get("service.name", ""), span.name, attributes))


def _value(value):
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None


class _Handler(BaseHTTPRequestHandler):
    receiver: OtlpReceiver

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != "/v1/traces":
            return self._refuse(404, f"POST {self.path}: only /v1/traces takes traces")
        if self.headers.get("Content-Type") != PROTOBUF:
            return self._refuse(415, f"Content-Type {self.headers.get('Content-Type')!r}")
        if self.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        export = ExportTraceServiceRequest()
        try:
            export.ParseFromString(raw)
        except DecodeError as exc:
            return self._refuse(400, f"not an ExportTraceServiceRequest: {exc}")
        self.receiver.accept(export)
        self._answer(200, ExportTraceServiceResponse().SerializeToString())

    def _refuse(self, status: int, problem: str) -> None:
        self.receiver.problems.append(problem)
        self._answer(status, b"")

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", PROTOBUF)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args) -> None:
        pass
