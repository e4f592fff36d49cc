"""The Redis broker transport keeps one Redis client per channel (idp_portal/broker.py) and
still carries every message, in order, also after kombu replaced a lost connection's pool."""

import uuid

import pytest
from django.conf import settings
from kombu import Connection

from idp_portal import broker
from idp_portal.celery import app

needs_redis = pytest.mark.skipif(
    not settings.CELERY_BROKER_URL.startswith("redis"),
    reason="needs CELERY_BROKER_URL=redis://… (set by .ci/run)",
)


@pytest.fixture
def connection():
    with Connection(settings.CELERY_BROKER_URL, transport=broker.Transport) as conn:
        yield conn


@needs_redis
def test_celery_sends_through_it():
    assert settings.CELERY_BROKER_TRANSPORT == "idp_portal.broker:Transport"
    with app.connection_for_write() as conn:
        assert isinstance(conn.default_channel, broker.Channel)


@needs_redis
def test_a_channel_reuses_its_client_and_delivers_every_message_in_order(connection):
    name = f"test-broker-{uuid.uuid4()}"
    queue = connection.SimpleQueue(name)
    try:
        channel = queue.channel
        made = []
        original = broker.kombu_redis.Channel._create_client

        def counting(self, asynchronous=False):
            client = original(self, asynchronous)
            made.append(asynchronous)
            return client

        broker.kombu_redis.Channel._create_client = counting
        try:
            for n in range(5):
                queue.put({"n": n})
            assert made.count(False) <= 1  # kombu alone makes one per message
            first = channel._create_client()
            assert channel._create_client() is first
            channel._disconnect_pools()  # what kombu does when the connection is lost
            again = channel._create_client()
            assert again is not first and again.connection_pool is channel.pool
            queue.put({"n": 5})
        finally:
            broker.kombu_redis.Channel._create_client = original
        received = []
        for _ in range(6):
            message = queue.get(timeout=5)
            received.append(message.payload["n"])
            message.ack()
        assert received == list(range(6))
    finally:
        queue.clear()
        queue.close()
