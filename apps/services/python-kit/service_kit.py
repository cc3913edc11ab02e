"""The plumbing every backend service shares: settings from the environment, MySQL and Redis clients, the health
endpoints, Prometheus metrics, strict JSON input, paging and JSON errors. Each service's app.py adds its own REST API
on top; sessions.py signs and checks the session tokens, migrate.py owns the database schema.

One file for user-service, product-service and order-service: python-kit/Dockerfile (build context apps/services,
--build-arg SERVICE=<service>) puts it in /app next to the service's own app.py.

Environment (set by apps/workloads/<service>/base/deployment.yaml and its ExternalSecret):
  PORT (5000), DB_HOST, DB_PORT (3306), DB_NAME, DB_USER, DB_PASSWORD, REDIS_HOST, REDIS_PORT (6379), REDIS_PASSWORD,
  SESSION_KEY
"""
import ipaddress
import json
import logging
import os
import re
import threading
import time
import unicodedata
from dataclasses import dataclass
from typing import Callable, Mapping, Optional

import pymysql
import pymysql.cursors
from pymysql.constants import CR
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from flask import Flask, Response, g, jsonify, request
from prometheus_client import Counter, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import REGISTRY
from werkzeug.exceptions import HTTPException

# Buckets around the shop's objective (p95 under 200 ms): 0.2 is a bucket edge, so the alert's quantile is exact there.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0)
REQUESTS = Counter("http_requests_total", "HTTP requests answered", ["service", "method", "route", "status"])
LATENCY = Histogram("http_request_duration_seconds", "Time to answer an HTTP request", ["service", "method", "route"], buckets=LATENCY_BUCKETS)
CACHE_FAILURES = Counter("cache_failures_total", "Redis calls that failed (the request went on without the cache)", ["service", "operation"])
# Probes and scrapes would drown the API's numbers.
UNMEASURED = {"/healthz", "/readyz", "/metrics"}
# The largest request body a service reads (the biggest real one, an order of 50 items, is about 3 KiB).
MAX_BODY_BYTES = 64 * 1024
# The cache generation of the product pages (product-service): every cached page's key includes it, and a change of
# a product or its stock (an order) bumps it.
PRODUCTS_GENERATION = "shop:products:generation"
# The database's error codes the services handle.
ER_DUP_ENTRY = 1062
ER_LOCK_WAIT_TIMEOUT = 1205
ER_LOCK_DEADLOCK = 1213
ER_NO_SUCH_TABLE = 1146


class ApiError(Exception):
    """An error the client caused or should see: answered as {"error": message, **details} with its status."""

    def __init__(self, status: int, message: str, headers: Optional[dict] = None, **details):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.details = details


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
    session_key: str
    # Not read from the environment (every environment has its own Redis); the tests give each suite its own.
    redis_db: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ, database_only: bool = False) -> "Settings":
        """The settings of the environment; `database_only` for the migrations, which need nothing else."""
        required = ("DB_HOST", "DB_NAME", "DB_USER", "DB_PASSWORD") + (() if database_only else ("REDIS_HOST", "SESSION_KEY"))
        missing = [k for k in required if not env.get(k)]
        if missing:
            raise RuntimeError(f"missing environment variables: {', '.join(missing)}")
        return cls(
            db_host=env["DB_HOST"],
            db_port=int(env.get("DB_PORT", "3306")),
            db_name=env["DB_NAME"],
            db_user=env["DB_USER"],
            db_password=env["DB_PASSWORD"],
            redis_host=env.get("REDIS_HOST", ""),
            redis_port=int(env.get("REDIS_PORT", "6379")),
            redis_password=env.get("REDIS_PASSWORD") or None,
            session_key=env.get("SESSION_KEY", ""),
        )


class Database:
    """MySQL through PyMySQL, strict SQL mode, UTC: each request borrows a connection from a small pool of idle ones
    (one per gunicorn thread), rolled back when it is returned; a broken one is dropped, and each is pinged before it
    is lent again (one round trip instead of a new login; the server may have closed it meanwhile)."""

    POOL_SIZE = 4

    def __init__(self, settings: Settings, read_timeout: float = 5.0):
        self._settings = settings
        self._read_timeout = read_timeout
        self._idle: list = []
        self._lock = threading.Lock()

    def connect(self):
        s = self._settings
        try:
            return pymysql.connect(
                host=s.db_host, port=s.db_port, user=s.db_user, password=s.db_password, database=s.db_name,
                connect_timeout=3, read_timeout=self._read_timeout, write_timeout=5, autocommit=False,
                cursorclass=pymysql.cursors.DictCursor, charset="utf8mb4",
                # Strict: a value out of range (a negative stock) is an error, never silently clamped.
                init_command="SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION', time_zone = '+00:00'",
            )
        except RuntimeError as error:
            # PyMySQL raises RuntimeError when it cannot run the server's auth plugin (e.g. caching_sha2_password
            # without the cryptography package): the database is unreachable for this pod, so report it as such
            # (503, not ready) instead of an internal error.
            raise pymysql.err.OperationalError(CR.CR_AUTH_PLUGIN_CANNOT_LOAD, f"MySQL authentication failed in the driver: {error}") from error

    def connection(self):
        """The connection of this request (borrowed on first use, returned when the request ends)."""
        if "db" not in g:
            g.db = self._borrow()
            g.db_pool = self
        return g.db

    def _borrow(self):
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self.connect()
            try:
                conn.ping(reconnect=False)
                return conn
            except pymysql.err.Error:
                _close(conn)

    def give_back(self, conn) -> None:
        """Returns a borrowed connection: rolled back (whatever the request left open) and kept, or closed."""
        try:
            if not conn.open:
                return
            conn.rollback()
        except pymysql.err.Error:
            _close(conn)
            return
        with self._lock:
            if len(self._idle) < self.POOL_SIZE:
                self._idle.append(conn)
                return
        _close(conn)

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
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1")
        finally:
            conn.close()


def _close(conn) -> None:
    try:
        conn.close()
    except pymysql.err.Error:
        pass  # already gone


class Cache:
    """Redis as an optional cache: a failed call is logged and counted, and for `cooldown` seconds afterwards the
    cache is skipped altogether, so a lost Redis costs each request nothing but the cache (not a timeout)."""

    def __init__(self, client: redis.Redis, service: str, cooldown: float = 5.0):
        self._client = client
        self._service = service
        self._cooldown = cooldown
        self._skip_until = 0.0
        self._lock = threading.Lock()

    def _call(self, operation: str, fn: Callable, default=None):
        if time.monotonic() < self._skip_until:
            return default
        try:
            return fn(self._client)
        except redis.RedisError:
            logging.getLogger(__name__).warning("cache %s failed; going on without the cache for %.0f s", operation, self._cooldown, exc_info=True)
            CACHE_FAILURES.labels(self._service, operation).inc()
            with self._lock:
                self._skip_until = time.monotonic() + self._cooldown
            return default

    def get_json(self, key: str):
        hit = self._call("get", lambda r: r.get(key))
        return None if hit is None else json.loads(hit)

    def set_json(self, key: str, value, seconds: int) -> None:
        self._call("set", lambda r: r.set(key, json.dumps(value), ex=seconds))

    def delete(self, key: str) -> None:
        self._call("delete", lambda r: r.delete(key))

    def generation(self, key: str) -> Optional[str]:
        """A counter that versions cache keys (None without Redis); bump() makes every key built on it stale."""
        return self._call("get", lambda r: r.get(key) or "0")

    def bump(self, key: str) -> None:
        self._call("incr", lambda r: r.incr(key))

    def incr_window(self, key: str, seconds: int) -> Optional[int]:
        """Counts an event in a fixed window of `seconds` (None without Redis)."""
        def count(r):
            with r.pipeline() as p:
                p.incr(key)
                p.expire(key, seconds, nx=True)
                return p.execute()[0]
        return self._call("incr", count)

    def take_back(self, key: str) -> None:
        """Undoes one incr_window() count, if the window is still open (never below zero, never without its expiry)."""
        self._call("decr", lambda r: r.eval(TAKE_BACK, 1, key))

    def seconds_left(self, key: str) -> Optional[int]:
        """The seconds until a key expires (None without Redis or without an expiry)."""
        left = self._call("ttl", lambda r: r.ttl(key))
        return left if left is not None and left > 0 else None

    def value(self, key: str) -> Optional[str]:
        return self._call("get", lambda r: r.get(key))


# Lua, run atomically by Redis: a count is decremented only while it exists and is positive (a plain DECR after the
# window expired would leave a negative count without an expiry).
TAKE_BACK = "local n = tonumber(redis.call('GET', KEYS[1]) or '0') if n > 0 then return redis.call('DECR', KEYS[1]) end return 0"


def redis_client(settings: Settings) -> redis.Redis:
    # No retries and short timeouts: Redis answers in-cluster in milliseconds, and the cache is optional (Cache).
    return redis.Redis(
        host=settings.redis_host, port=settings.redis_port, password=settings.redis_password, db=settings.redis_db,
        socket_timeout=0.5, socket_connect_timeout=0.5, decode_responses=True, retry=Retry(NoBackoff(), 0),
    )


def cached(cache: Cache, key: str, seconds: int, load: Callable[[], object]) -> object:
    """`load()`'s result, from Redis when it is there (and stored there when it was not)."""
    hit = cache.get_json(key)
    if hit is not None:
        return hit
    value = load()
    cache.set_json(key, value, seconds)
    return value


def create_app(service: str, register: Callable[[Flask], None], checks: Mapping[str, Callable[[], None]]) -> Flask:
    """A Flask app with /healthz (the process answers), /readyz (every check passes), /metrics, JSON errors, a
    request body limit, and the service's API added by `register`."""
    app = Flask(service)
    app.json.sort_keys = False
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

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
        # The format the scraper asks for (Prometheus 3 prefers OpenMetrics), with the encoder's own Content-Type,
        # given as is: Response(mimetype=...) would append a second charset, which Prometheus 3 refuses.
        encoder, content_type = choose_encoder(request.headers.get("Accept"))
        return Response(encoder(REGISTRY), content_type=content_type)

    @app.before_request
    def start_timer():
        g.started = time.perf_counter()

    @app.after_request
    def measure(response):
        route = request.url_rule.rule if request.url_rule else "unmatched"
        if route not in UNMEASURED:
            REQUESTS.labels(service, request.method, route, str(response.status_code)).inc()
            LATENCY.labels(service, request.method, route).observe(time.perf_counter() - g.get("started", time.perf_counter()))
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.teardown_appcontext
    def give_back_db(_error):
        conn = g.pop("db", None)
        if conn is not None:
            g.pop("db_pool").give_back(conn)

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        return jsonify(error=error.message, **error.details), error.status, error.headers

    @app.errorhandler(pymysql.err.OperationalError)
    @app.errorhandler(redis.ConnectionError)
    @app.errorhandler(redis.TimeoutError)
    def dependency_down(error: Exception):
        # A lost database is temporary: 503 tells clients (and the ALB) to try again.
        app.logger.warning("dependency unavailable: %s", error)
        return jsonify(error="a service this request needs is unavailable, try again"), 503

    @app.errorhandler(pymysql.err.ProgrammingError)
    def schema_missing(error: pymysql.err.ProgrammingError):
        if error.args and error.args[0] == ER_NO_SUCH_TABLE:
            # Readiness fails too (the schema check): the pod leaves its Service until the schema is back.
            app.logger.error("the database schema is incomplete: %s", error)
            return jsonify(error="a service this request needs is unavailable, try again"), 503
        return unexpected(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        return jsonify(error=error.description), error.code

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unhandled error")
        return jsonify(error="internal error"), 500

    register(app)
    return app


def client_address() -> str:
    """The address of the client a request comes from. The frontend's nginx (the only caller the services'
    NetworkPolicies admit) replaces X-Forwarded-For with the one address it vouches for: the address the load
    balancer appended, or its own peer's (frontend/default.conf.template); the last entry is taken, so an address a
    client wrote in front of it never counts. Without the header (a direct call) it is the connection's peer."""
    forwarded = request.headers.get("X-Forwarded-For", "").rsplit(",", 1)[-1].strip()
    for candidate in (forwarded, request.remote_addr or ""):
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return "unknown"


# X-Request-Start as the frontend's nginx sets it (proxy.conf: "t=$msec", seconds since the epoch, milliseconds).
REQUEST_START = re.compile(r"t=(\d{9,11}(?:\.\d{1,6})?)")


def request_age() -> float:
    """Seconds since the frontend's nginx received the request (its X-Request-Start), so the time the request waited
    for a gunicorn thread counts; 0 without the header, with a malformed one, or when the clocks say it has not
    started yet. nginx replaces any such header a client sends, and only it reaches the services (their
    NetworkPolicies): the age can only shorten a deadline, so a forged header harms nobody but its sender."""
    match = REQUEST_START.fullmatch(request.headers.get("X-Request-Start", "").strip())
    return max(0.0, time.time() - float(match[1])) if match else 0.0


def json_body() -> dict:
    """The request's JSON object; 415 for another content type, 400 for anything that is not one JSON object
    (malformed, not UTF-8, nested too deep), 413 (from the body limit) for a body over MAX_BODY_BYTES."""
    if not request.is_json:
        raise ApiError(415, "send a JSON object with Content-Type: application/json")
    try:
        # RecursionError: JSON nested deeper than the parser's recursion limit (a 200 KB "[[[[..." is 400, not 500).
        body = json.loads(request.get_data(cache=False).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(400, "the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "expected a JSON object")
    return body


@dataclass(frozen=True)
class Page:
    limit: int
    after: Optional[int]


def page_args(default: int = 20, maximum: int = 100) -> Page:
    """?limit= (1..maximum) and ?after= (the `next` of the previous page) of a list request; 400 when malformed."""
    def number(name: str, low: int, high: int) -> Optional[int]:
        raw = request.args.get(name)
        if raw is None:
            return None
        if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
            raise ApiError(400, f"{name}: a whole number from {low} to {high}")
        return int(raw)

    limit = number("limit", 1, maximum)
    return Page(limit=default if limit is None else limit, after=number("after", 1, 2**63 - 1))


def paged(rows: list, page: Page) -> dict:
    """{"items": the page, "next": the `after` of the following page, or None on the last one}; `rows` holds up
    to limit + 1 rows (the extra one says there is more)."""
    items = rows[: page.limit]
    return {"items": items, "next": items[-1]["id"] if len(rows) > page.limit else None}


def positive(value, what: str, maximum: int) -> int:
    # bool is an int in Python: refuse true/false explicitly.
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise ApiError(400, f"{what}: a whole number from 1 to {maximum}")
    return value


# Characters a name shown to other people must not hold: control characters (C0, DEL, C1), line and paragraph
# separators, lone surrogates (JSON can carry them, MySQL cannot store them) and the bidirectional controls, which
# reorder the text around them when displayed ("Trojan Source", CVE-2021-42574).
REFUSED_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}
BIDI_CONTROLS = {"\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))}


def text(body: dict, key: str, maximum: int, required: bool = True) -> Optional[str]:
    """A one-line text field (a name), stripped; 400 when missing, empty, too long or holding a refused character."""
    value = body.get(key)
    if value is None and not required:
        return None
    if (not isinstance(value, str) or not 1 <= len(value.strip()) <= maximum
            or any(unicodedata.category(c) in REFUSED_CATEGORIES or c in BIDI_CONTROLS for c in value)):
        raise ApiError(400, f"{key}: a string of 1 to {maximum} characters, without control or bidirectional formatting characters")
    return value.strip()
