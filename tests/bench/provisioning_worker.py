"""The portal's Celery app with the benchmark's probes and prototypes, chosen by environment.

`python -m celery -A tests.bench.provisioning_worker worker …` runs exactly the portal's worker
(`idp_portal.celery.app`: same tasks, same settings), plus, in each pool process:
- BENCH_PROFILE=1: per task, where its time went — SQL (Django's execute wrappers), HTTP to
  moto and Vault (urllib3, which botocore and hvac both use), making drivers and clients,
  garbage collection — logged as one `BENCHPROFILE {json}` line per task;
- BENCH_CPROFILE=<folder>: cProfile every task; each pool process writes its stats to
  <folder>/<pid>.prof when it stops (read them with `python -m pstats`);
- BENCH_REUSE_DRIVERS=1: one driver per provider per process, reused by every step, instead of
  a new driver (a new boto3 session and client, a new hvac client) per step. Safe here: a pool
  process runs one task at a time and the heartbeat thread never touches a driver;
- BENCH_KEEP_DB_CONNECTION=1: around each task, close only the database connections Django
  would close (`close_old_connections()`: past CONN_MAX_AGE, or failing the health check)
  instead of Celery's Django fixup closing every connection before and after every task;
- BENCH_GC_FREEZE=1: `gc.freeze()` after the first task, when Django, Celery and the botocore
  models are loaded, so later collections no longer walk those objects.
They measure possible changes; the portal's own code is untouched.
"""

import cProfile
import functools
import gc
import json
import logging
import os
import time
from dataclasses import asdict, dataclass

from celery.signals import task_postrun, task_prerun, worker_process_init, worker_process_shutdown

from idp_portal.celery import app

__all__ = ["app"]

logger = logging.getLogger("bench.prototype")


@dataclass
class TaskProfile:
    """Seconds spent per kind of work during the current task (and how many calls)."""

    sql: float = 0.0
    sql_calls: int = 0
    connect: float = 0.0
    http: float = 0.0
    http_calls: int = 0
    setup: float = 0.0
    gc: float = 0.0
    gc_max: float = 0.0
    started: float = 0.0


PROFILE = TaskProfile()
PROFILER = cProfile.Profile()
_frozen = False


def _timed(field: str, count: str | None = None):
    """Wrap a callable so its run time (outermost call only) adds to PROFILE.<field>."""

    def wrap(function):
        depth = [0]

        @functools.wraps(function)
        def timed(*args, **kwargs):
            if depth[0]:
                return function(*args, **kwargs)
            depth[0] += 1
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                depth[0] -= 1
                setattr(PROFILE, field, getattr(PROFILE, field) + time.perf_counter() - started)
                if count:
                    setattr(PROFILE, count, getattr(PROFILE, count) + 1)

        return timed

    return wrap


def _install_profile() -> None:
    import boto3.session
    import hvac
    import urllib3.connectionpool
    from django.db import connection
    from django.db.backends.base.base import BaseDatabaseWrapper

    from provisioning import engine

    pool = urllib3.connectionpool.HTTPConnectionPool
    pool.urlopen = _timed("http", "http_calls")(pool.urlopen)
    boto3.session.Session.client = _timed("setup")(boto3.session.Session.client)
    hvac.Client.__init__ = _timed("setup")(hvac.Client.__init__)
    engine.get_driver = _timed("setup")(engine.get_driver)
    connection.execute_wrappers.append(_sql)
    BaseDatabaseWrapper.connect = _timed("connect")(BaseDatabaseWrapper.connect)
    gc.callbacks.append(_gc)


def _sql(execute, sql, params, many, context):
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        PROFILE.sql += time.perf_counter() - started
        PROFILE.sql_calls += 1


_gc_started = [0.0]


def _gc(phase: str, info: dict) -> None:
    if phase == "start":
        _gc_started[0] = time.perf_counter()
        return
    paused = time.perf_counter() - _gc_started[0]
    PROFILE.gc += paused
    PROFILE.gc_max = max(PROFILE.gc_max, paused)


@worker_process_init.connect
def install(**kwargs: object) -> None:
    if os.environ.get("BENCH_PROFILE"):
        _install_profile()
    if os.environ.get("BENCH_REUSE_DRIVERS"):
        from provisioning import engine

        engine.get_driver = functools.cache(engine.get_driver)
    if os.environ.get("BENCH_KEEP_DB_CONNECTION"):
        from celery.fixups.django import DjangoWorkerFixup
        from django.db import close_old_connections

        DjangoWorkerFixup.close_database = lambda self, **kwargs: close_old_connections()


@task_prerun.connect
def start_profile(**kwargs: object) -> None:
    global PROFILE
    PROFILE = TaskProfile(started=time.perf_counter())
    if os.environ.get("BENCH_CPROFILE"):
        PROFILER.enable()


@worker_process_shutdown.connect
def write_cprofile(**kwargs: object) -> None:
    if folder := os.environ.get("BENCH_CPROFILE"):
        PROFILER.dump_stats(os.path.join(folder, f"{os.getpid()}.prof"))


@task_postrun.connect
def end_profile(task_id: str, args: tuple, **kwargs: object) -> None:
    global _frozen
    if os.environ.get("BENCH_CPROFILE"):
        PROFILER.disable()
    if os.environ.get("BENCH_PROFILE"):
        figures = asdict(PROFILE) | {"total": time.perf_counter() - PROFILE.started}
        figures["request_id"] = args[0] if args else None
        figures.pop("started")
        logger.warning("BENCHPROFILE %s", json.dumps(figures))
    if os.environ.get("BENCH_GC_FREEZE") and not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True
