"""A second Celery beat waits for the first one's lock; a beat that loses it stops."""

import threading
import uuid

import pytest
import redis
from django.conf import settings

from idp_portal.beat_lock import BeatLock, hold_for_beat

needs_redis = pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis"),
    reason="needs CELERY_BROKER_URL=redis://… (set by .ci/run)",
)


@pytest.fixture
def client():
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


@pytest.fixture
def key(client):
    name = f"test-beat-lock:{uuid.uuid4()}"
    yield name
    client.delete(name)


@needs_redis
def test_a_second_beat_cannot_take_the_lock_until_the_first_releases_it(client, key):
    first, second = BeatLock(client, 30, key), BeatLock(client, 30, key)
    first.acquire()
    assert second._try_acquire() is False
    first.release()
    assert second._try_acquire() is True
    second.release()


@needs_redis
def test_a_waiting_beat_starts_once_the_holder_releases(client, key):
    first, second = BeatLock(client, 30, key), BeatLock(client, 30, key)
    first.acquire()
    waiter = threading.Thread(target=second.acquire, kwargs={"poll_seconds": 0.05})
    waiter.start()
    assert second.lock.owned() is False
    first.release()
    waiter.join(timeout=10)
    assert second.lock.owned() is True
    second.release()


@needs_redis
def test_renewing_keeps_the_lock_and_fails_once_another_beat_holds_it(client, key):
    held = BeatLock(client, 30, key)
    held.acquire()
    client.set(key, "another-beat")
    assert held.renew() is False
    client.delete(key)


@needs_redis
def test_a_beat_that_loses_its_lock_is_told_to_stop(client, key):
    held = BeatLock(client, 3, key)
    held.acquire()
    lost = threading.Event()
    held.keep(on_lost=lost.set)
    client.delete(key)
    assert lost.wait(timeout=10)
    held.stopped.set()


def test_without_redis_there_is_no_lock_to_take():
    assert hold_for_beat("filesystem://", 60) is None


def test_an_unreachable_redis_is_retried_rather_than_skipped():
    unreachable = BeatLock(redis.Redis.from_url("redis://127.0.0.1:1/0"), 30)
    assert unreachable._try_acquire() is False


def test_beat_takes_the_lock_when_it_starts():
    from celery.signals import beat_init

    from idp_portal.celery import _hold_the_beat_lock

    assert any(receiver() is _hold_the_beat_lock for _, receiver in beat_init.receivers)
