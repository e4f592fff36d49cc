"""gunicorn's settings for the portal's web pods: `gunicorn -c deploy/gunicorn.conf.py
idp_portal.wsgi` (the image's entry point). Each value can be changed from the environment.

Shutdown on SIGTERM (a rolling update, a scale-down): gunicorn stops accepting, lets every
worker finish the request it is serving for up to GUNICORN_GRACEFUL_TIMEOUT seconds, then exits.
The pod's preStop sleep runs first so the Service stops sending traffic before that, and its
terminationGracePeriodSeconds is longer than the sleep plus this timeout (deploy/base/web.yaml).
"""

import json

from gunicorn import glogging

from idp_portal.env import envint, envstr

bind = envstr("GUNICORN_BIND", "0.0.0.0:8000")
# Synchronous workers: the portal's requests are short, every slow call runs in Celery.
workers = envint("GUNICORN_WORKERS", 4, minimum=1)
threads = envint("GUNICORN_THREADS", 1, minimum=1)
# A request still running after this is stuck: its worker is killed and replaced.
timeout = envint("GUNICORN_TIMEOUT", 30, minimum=1)
graceful_timeout = envint("GUNICORN_GRACEFUL_TIMEOUT", 25, minimum=1)
# Longer than the ingress controller's idle timeout towards the pod, so gunicorn never closes
# a kept-alive connection the proxy is about to reuse.
keepalive = envint("GUNICORN_KEEPALIVE", 75, minimum=1)
# Recycle each worker after this many requests (spread so all never restart at once): a slow
# leak in a library never grows into an out-of-memory kill.
max_requests = envint("GUNICORN_MAX_REQUESTS", 1000, minimum=0)
max_requests_jitter = envint("GUNICORN_MAX_REQUESTS_JITTER", 100, minimum=0)
# The heartbeat files live in memory: the root filesystem is read-only and /tmp may be a disk.
worker_tmp_dir = "/dev/shm"  # noqa: S108 - a tmpfs in every container, not a shared temp dir


class JsonAccessLogger(glogging.Logger):
    """One JSON object per request, so the cluster's log collector reads fields, not text."""

    def access(self, resp, req, environ, request_time) -> None:
        if not self.cfg.accesslog:
            return
        # SafeAtoms answers "-" for a header the request did not send.
        atoms = glogging.SafeAtoms(self.atoms(resp, req, environ, request_time))
        record = {field: atoms[atom] for field, atom in ACCESS_FIELDS.items()}
        self.access_log.info(json.dumps(record))


# The access log's fields and gunicorn's names for them; the query string is left out (it can
# carry a token a client put there).
ACCESS_FIELDS = {
    "time": "t",
    "remote": "h",
    "method": "m",
    "path": "U",
    "status": "s",
    "bytes": "B",
    "duration_ms": "M",
    "referer": "f",
    "user_agent": "a",
    "request_id": "{x-request-id}i",
}
# Logs go to stdout and stderr, where the cluster's collector reads them.
accesslog = "-"
errorlog = "-"
logger_class = JsonAccessLogger
loglevel = envstr("LOG_LEVEL", "INFO").lower()
# The application is imported once in the master, so a broken setting stops the pod at start
# (CrashLoopBackOff with the message) instead of in every worker.
preload_app = True
# No control socket: it would need a writable path on the read-only root filesystem.
control_socket_disable = True
