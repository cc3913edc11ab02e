"""The plumbing every backend service shares: settings from the environment, MySQL and Redis clients, the health
endpoints, Prometheus metrics and JSON errors. Each service's app.py adds its own REST API on top.

One file for user-service, product-service and order-service: python-kit/Dockerfile (build context apps/services,
--build-arg SERVICE=<service>) puts it in /app next to the service's own app.py.

Environment (set by apps/workloads/<service>/base/deployment.yaml and its ExternalSecret):
  PORT (5000), DB_HOST, DB_PORT (3306), DB_NAME, DB_USER, DB_PASSWORD, REDIS_HOST, REDIS_PORT (6379), REDIS_PASSWORD
"""
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Optional

import pymysql
import pymysql.cursors
from pymysql.constants import CR
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from flask import Flask, Response, g, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from werkzeug.exceptions import HTTPException

REQUESTS = Counter("http_requests_total", "HTTP requests answered", ["service", "method", "route", "status"])
LATENCY = Histogram("http_request_duration_seconds", "Time to answer an HTTP request", ["service", "method", "route"])
# Probes and scrapes would drown the API's numbers.
UNMEASURED = {"/healthz", "/readyz", "/metrics"}


class ApiError(Exception):
    """An error the client caused or should see: answered as {"error": message} with its status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Settings:
    db_host: str
    db_port: int
    db_name: str
    db_user: str
    db_password: str
    redis_host: str
    redis_port: int
    redis_password: Optional[str]

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> "Settings":
        missing = [k for k in ("DB_HOST", "DB_NAME", "DB_USER", "DB_PASSWORD", "REDIS_HOST") if not env.get(k)]
        if missing:
            raise RuntimeError(f"missing environment variables: {', '.join(missing)}")
        return cls(
            db_host=env["DB_HOST"],
            db_port=int(env.get("DB_PORT", "3306")),
            db_name=env["DB_NAME"],
            db_user=env["DB_USER"],
            db_password=env["DB_PASSWORD"],
            redis_host=env["REDIS_HOST"],
            redis_port=int(env.get("REDIS_PORT", "6379")),
            redis_password=env.get("REDIS_PASSWORD") or None,
        )


class Database:
    """MySQL through PyMySQL: one short-lived connection per request, the service's tables created on first use."""

    def __init__(self, settings: Settings, schema: list):
        self._settings = settings
        self._schema = schema
        self._ready = False
        self._lock = threading.Lock()

    def _connect(self):
        s = self._settings
        try:
            return pymysql.connect(
                host=s.db_host, port=s.db_port, user=s.db_user, password=s.db_password, database=s.db_name,
                connect_timeout=3, read_timeout=5, write_timeout=5, autocommit=False,
                cursorclass=pymysql.cursors.DictCursor, charset="utf8mb4",
            )
        except RuntimeError as error:
            # PyMySQL raises RuntimeError when it cannot run the server's auth plugin (e.g. caching_sha2_password
            # without the cryptography package): the database is unreachable for this pod, so report it as such
            # (503, not ready) instead of an internal error.
            raise pymysql.err.OperationalError(CR.CR_AUTH_PLUGIN_CANNOT_LOAD, f"MySQL authentication failed in the driver: {error}") from error

    def connection(self):
        """A connection for this request (closed when the request ends)."""
        if "db" not in g:
            conn = self._connect()
            if not self._ready:
                with self._lock:
                    if not self._ready:
                        with conn.cursor() as cur:
                            for statement in self._schema:
                                cur.execute(statement)
                        conn.commit()
                        self._ready = True
            g.db = conn
        return g.db

    def all(self, sql: str, args: tuple = ()) -> list:
        """Every row of a query, as dicts, on this request's connection."""
        with self.connection().cursor() as cur:
            cur.execute(sql, args)
            return list(cur.fetchall())

    def one(self, sql: str, args: tuple = ()):
        """The first row of a query, or None."""
        with self.connection().cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchone()

    def ping(self) -> None:
        conn = self._connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
        finally:
            conn.close()


def redis_client(settings: Settings) -> redis.Redis:
    # No retries: redis-py's default retries with backoff would make every request wait seconds while Redis is
    # down, and the cache is optional (see cached()).
    return redis.Redis(
        host=settings.redis_host, port=settings.redis_port, password=settings.redis_password,
        socket_timeout=2, socket_connect_timeout=2, decode_responses=True, retry=Retry(NoBackoff(), 0),
    )


def create_app(service: str, register: Callable[[Flask], None], checks: Mapping[str, Callable[[], None]]) -> Flask:
    """A Flask app with /healthz (the process answers), /readyz (every check passes), /metrics, JSON errors,
    and the service's API added by `register`."""
    app = Flask(service)
    app.json.sort_keys = False

    @app.get("/healthz")
    def healthz():
        # Liveness: never the dependencies (a database outage must not restart every pod).
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        failed = {}
        for name, check in checks.items():
            try:
                check()
            except Exception as error:  # any failure means "not ready"; the reason is shown
                failed[name] = f"{type(error).__name__}: {error}"
        if failed:
            return jsonify(status="unavailable", failed=failed), 503
        return jsonify(status="ready", checked=sorted(checks))

    @app.get("/metrics")
    def metrics():
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)

    @app.before_request
    def start_timer():
        g.started = time.perf_counter()

    @app.after_request
    def measure(response):
        route = request.url_rule.rule if request.url_rule else "unmatched"
        if route not in UNMEASURED:
            REQUESTS.labels(service, request.method, route, str(response.status_code)).inc()
            LATENCY.labels(service, request.method, route).observe(time.perf_counter() - g.get("started", time.perf_counter()))
        return response

    @app.teardown_appcontext
    def close_db(_error):
        conn = g.pop("db", None)
        if conn is not None:
            conn.close()

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        return jsonify(error=error.message), error.status

    @app.errorhandler(pymysql.err.OperationalError)
    @app.errorhandler(redis.ConnectionError)
    @app.errorhandler(redis.TimeoutError)
    def dependency_down(error: Exception):
        # A lost database or cache is temporary: 503 tells clients (and the ALB) to try again.
        app.logger.warning("dependency unavailable: %s", error)
        return jsonify(error="a service this request needs is unavailable, try again"), 503

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return jsonify(error=error.description), error.code

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unhandled error")
        return jsonify(error="internal error"), 500

    register(app)
    return app


def cached(cache, key: str, seconds: int, load: Callable[[], object]) -> object:
    """`load()`'s result, from Redis when it is there; a Redis failure only costs the cache, never the answer."""
    try:
        hit = cache.get(key)
        if hit is not None:
            return json.loads(hit)
    except redis.RedisError:
        logging.getLogger(__name__).warning("cache read failed for %s", key, exc_info=True)
    value = load()
    try:
        cache.setex(key, seconds, json.dumps(value))
    except redis.RedisError:
        logging.getLogger(__name__).warning("cache write failed for %s", key, exc_info=True)
    return value


def invalidate(cache, key: str) -> None:
    try:
        cache.delete(key)
    except redis.RedisError:
        logging.getLogger(__name__).warning("cache invalidation failed for %s", key, exc_info=True)


def json_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "expected a JSON object")
    return body
