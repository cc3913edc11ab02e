"""Test doubles for the service's dependencies: an in-memory Redis and health checks that pass or fail."""
import redis


class FakeCache:
    """The three Redis commands the services use, in memory; `broken` makes every call fail like a lost Redis."""

    def __init__(self, broken: bool = False):
        self.data = {}
        self.broken = broken

    def _check(self):
        if self.broken:
            raise redis.ConnectionError("redis is down")

    def get(self, key):
        self._check()
        return self.data.get(key)

    def setex(self, key, seconds, value):
        self._check()
        self.data[key] = value

    def delete(self, key):
        self._check()
        self.data.pop(key, None)


def passing():
    return None


def failing():
    raise ConnectionError("connection refused")
