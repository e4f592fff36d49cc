"""Request ids: one id per web request, in every log line it causes, here and in Celery.

1. `RequestIdMiddleware` takes a safe incoming X-Request-ID (a proxy's or a client's) or makes
   one, holds it in a context variable for the request, and returns it in the response header;
2. `RequestIdFilter` puts the current id on every log record (`-` outside any request);
3. Celery signals carry it: a task sent during a request gets it as a message header
   (`before_task_publish`), and the worker restores it for the task's run (`task_prerun`), so a
   provisioning request's web and worker log lines share one id.
"""

import contextvars
import logging
import re
import uuid

from celery.signals import before_task_publish, task_postrun, task_prerun
from opentelemetry import trace

HEADER = "X-Request-ID"
TASK_HEADER = "request_id"
NO_REQUEST = "-"
# Short and plain: the id is copied into logs and headers, so nothing that could split a log
# line, forge a field or fill a disk. Anything else is replaced by a fresh id.
SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")

current = contextvars.ContextVar("request_id", default=NO_REQUEST)


def new_id() -> str:
    return uuid.uuid4().hex


def accepted(raw: str | None) -> str | None:
    """The incoming id when it is safe to copy into logs and headers, else None."""
    return raw if raw and SAFE_ID.fullmatch(raw) else None


class RequestIdMiddleware:
    """Sets the request id for the request's duration and returns it as X-Request-ID."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = accepted(request.headers.get(HEADER)) or new_id()
        request.request_id = request_id
        token = current.set(request_id)
        # Finds the trace of a log line's request (a no-op unless the portal traces itself).
        trace.get_current_span().set_attribute("portal.request_id", request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        # Kept until the server closes the response: Django logs "Not Found" and other 4xx
        # after the middleware returned, and that line should carry the id too.
        response._resource_closers.append(lambda: _reset(token))
        return response


def _reset(token: contextvars.Token) -> None:
    try:
        current.reset(token)
    except ValueError:  # set in another context (a thread pool): nothing of ours to undo
        current.set(NO_REQUEST)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record, so formatters can always name it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current.get()
        return True


@before_task_publish.connect(weak=False)
def _send_request_id(headers=None, **kwargs) -> None:
    """A task sent while a request (or a task) runs carries its id."""
    request_id = current.get()
    if headers is not None and request_id != NO_REQUEST:
        headers.setdefault(TASK_HEADER, request_id)


def _id_of(task) -> str | None:
    """The id a worker received: a message header is an attribute of the task's request;
    an eagerly applied task keeps its headers in a dict."""
    request = task.request
    return accepted(request.get(TASK_HEADER) or (request.get("headers") or {}).get(TASK_HEADER))


@task_prerun.connect(weak=False)
def _restore_request_id(task=None, **kwargs) -> None:
    """The task's log lines carry the id of the request that sent it; a task sent by beat or
    by nobody in particular gets its own (an eager task keeps the caller's)."""
    if task is None:
        return
    request_id = _id_of(task) or (current.get() if current.get() != NO_REQUEST else new_id())
    task.request.request_id_token = current.set(request_id)


@task_postrun.connect(weak=False)
def _forget_request_id(task=None, **kwargs) -> None:
    token = getattr(task.request, "request_id_token", None) if task is not None else None
    if token is not None:
        _reset(token)
        task.request.request_id_token = None
