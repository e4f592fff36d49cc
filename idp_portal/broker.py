"""The Redis broker transport: kombu's, with one Redis client per channel instead of one per
command.

kombu's Redis channel builds a new `redis.Redis` for every message it sends and every
acknowledgement it writes (`Channel._create_client`, through `conn_or_acquire`). Building one
takes 0.2-0.4 ms here, about a third of what a Celery publish costs, and every provisioning
request pays it between being stored and reaching a worker. The client is only a thin object
over the channel's connection pool (each command takes a connection from the pool), so one per
channel serves the same; it is made again when kombu replaces the pool after a lost connection.
Selected by CELERY_BROKER_TRANSPORT for redis:// and rediss:// broker URLs (settings.py).
"""

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    _kept_client: tuple | None = None  # (the pool it was made for, the client)

    def _create_client(self, asynchronous: bool = False):
        if asynchronous:  # made once per channel by kombu itself (`Channel.client`)
            return super()._create_client(asynchronous=True)
        pool, kept = self.pool, self._kept_client
        if kept is None or kept[0] is not pool:
            kept = self._kept_client = (pool, super()._create_client())
        return kept[1]


class Transport(kombu_redis.Transport):
    Channel = Channel
