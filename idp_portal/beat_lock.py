"""One Celery beat at a time: a beat holds a Redis lock while it schedules; another one waits.

The beat Deployment has one replica and the Recreate strategy, but a pod on a node that lost
contact is replaced while it may still run, and a second `celery beat` can be started by hand.
Two beats would send every periodic task twice. So, when beat starts:
1. it takes the lock BEAT_LOCK_KEY in the broker's Redis (a random token, expiring after
   BEAT_LOCK_SECONDS), waiting and saying so while another beat holds it;
2. a thread renews the lock every third of that time; if the lock was lost (expired while the
   process was frozen, or deleted), the beat stops at once rather than schedule beside another;
3. on exit the lock is released, so the next beat starts without waiting for it to expire.
With the filesystem broker (`make dev`) there is no Redis and no second host: no lock.
"""

import atexit
import contextlib
import logging
import os
import signal
import threading

import redis
from redis.exceptions import LockError, RedisError

logger = logging.getLogger(__name__)

BEAT_LOCK_KEY = "idp-portal:celery-beat"


class BeatLock:
    """The lock one beat holds in Redis, renewed by a thread until the process exits."""

    def __init__(self, client: redis.Redis, seconds: int, key: str = BEAT_LOCK_KEY) -> None:
        self.seconds = seconds
        # thread_local=False: the renewing thread extends the token the main thread took.
        self.lock = client.lock(key, timeout=seconds, thread_local=False)
        self.stopped = threading.Event()

    def acquire(self, poll_seconds: float = 5.0) -> None:
        """Block until this process holds the lock, saying once that another beat holds it."""
        said = False
        while not self._try_acquire():
            if not said:
                logger.warning(
                    "another celery beat holds the lock %s: waiting (it expires %s s after that "
                    "beat stops renewing it)",
                    self.lock.name,
                    self.seconds,
                )
                said = True
            self.stopped.wait(poll_seconds)
        # After a wait, at the level the waiting was said at, so the two lines are read together.
        logger.log(
            logging.WARNING if said else logging.INFO,
            "celery beat took the lock %s",
            self.lock.name,
        )

    def _try_acquire(self) -> bool:
        try:
            return bool(self.lock.acquire(blocking=False))
        except RedisError as error:
            # Without Redis there is no broker either: nothing to schedule into until it is back.
            logger.warning("celery beat cannot reach Redis for its lock (%s): retrying", error)
            return False

    def renew(self) -> bool:
        """Extend the lock to its full time again; False when it is no longer ours."""
        try:
            self.lock.reacquire()
        except (LockError, RedisError) as error:
            logger.error("celery beat lost the lock %s: %s", self.lock.name, error)
            return False
        return True

    def keep(self, on_lost) -> threading.Thread:
        """Renew in a daemon thread every third of the lock's time; call `on_lost` if it is lost."""

        def loop() -> None:
            while not self.stopped.wait(self.seconds / 3):
                if not self.renew():
                    on_lost()
                    return

        thread = threading.Thread(target=loop, name="beat-lock", daemon=True)
        thread.start()
        return thread

    def release(self) -> None:
        self.stopped.set()
        # Expired or unreachable: then it frees itself after `seconds`.
        with contextlib.suppress(LockError, RedisError):
            self.lock.release()


def _stop_this_beat() -> None:
    # SIGTERM runs beat's own shutdown (it saves its schedule); the pod is then restarted and
    # waits for the lock like any new beat.
    os.kill(os.getpid(), signal.SIGTERM)


def hold_for_beat(broker_url: str, seconds: int, key: str = BEAT_LOCK_KEY) -> BeatLock | None:
    """Take the beat lock in the broker's Redis and keep it until exit; None without Redis."""
    if not broker_url.startswith(("redis://", "rediss://")):
        logger.info("celery beat runs without a lock: the broker is not Redis (single host)")
        return None
    beat_lock = BeatLock(redis.Redis.from_url(broker_url), seconds, key)
    beat_lock.acquire()
    beat_lock.keep(on_lost=_stop_this_beat)
    atexit.register(beat_lock.release)
    return beat_lock
