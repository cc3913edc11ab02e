"""The shared kit, tested in every Python service's image (the Dockerfile's test stage puts these tests next to the
service's own) against the real servers of conftest.py: input that is not what the API takes gets a JSON 4xx (never
a 500), a lost database makes the service unavailable (503) and not ready, a lost cache costs only the cache,
/metrics answers in a format Prometheus 3 accepts, and the migrations are versioned, resumable and serialised."""
import json
import re
import socket
import threading
import time
from dataclasses import replace

import pymysql
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from itsdangerous.timed import TimestampSigner
from prometheus_client import REGISTRY
from pymysql import _auth

import app as service
import migrate
import servers as test_servers
import service_kit as kit
from conftest import closed_port, connect, create_database, drop_database, suite_database_name
from sessions import Claims, Sessions

UNAVAILABLE = {"error": "a service this request needs is unavailable, try again"}
# What Prometheus 3.x sends (scrape_protocols default: OpenMetrics 1.0.0 and 0.0.1, then the text format 1.0.0, 0.0.4).
PROMETHEUS_3_ACCEPT = ("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,"
                       "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2")
# The media types Prometheus 3 can parse (its scrape protocols), by type and version.
PROMETHEUS_3_FORMATS = {("application/openmetrics-text", "1.0.0"), ("application/openmetrics-text", "0.0.1"), ("text/plain", "1.0.0"), ("text/plain", "0.0.4")}


def probe_app(settings):
    """A minimal service on the kit: an endpoint that reads the database, one that echoes a JSON body, one with a bug."""
    db = kit.Database(settings)

    def register(app):
        @app.get("/api/things")
        def things():
            return {"things": db.all("SELECT 1 AS one")}

        @app.post("/api/echo")
        def echo():
            return kit.json_body()

        @app.get("/api/page")
        def page():
            p = kit.page_args()
            return {"limit": p.limit, "after": p.after}

        @app.get("/api/bug")
        def bug():
            raise RuntimeError("a bug of the service")

    return kit.create_app("kit-test", register, {"mysql": db.ping}).test_client()


@pytest.fixture
def probe(settings):
    return probe_app(settings)


def test_the_driver_can_send_the_password_for_a_caching_sha2_full_login():
    # After a MySQL restart (empty auth cache) a login over plain TCP sends the password encrypted with the server's
    # RSA key; PyMySQL needs the cryptography package for that (RuntimeError without it). MariaDB has no such
    # plugin: the pull-request workflow's MySQL 8.4 runs the real exchange.
    server_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = server_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    nonce = bytes(range(1, 21))
    encrypted = _auth.sha2_rsa_encrypt(b"s3cret", nonce, public_pem)
    scrambled = server_key.decrypt(encrypted, padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
    assert bytes(b ^ nonce[i % len(nonce)] for i, b in enumerate(scrambled)) == b"s3cret\0"


def test_a_driver_that_cannot_log_in_means_the_database_is_unavailable(settings, monkeypatch):
    def cannot_authenticate(**_options):
        raise RuntimeError("'cryptography' package is required for sha256_password or caching_sha2_password auth methods")

    monkeypatch.setattr(kit.pymysql, "connect", cannot_authenticate)
    client = probe_app(settings)
    api = client.get("/api/things")
    assert (api.status_code, api.get_json()) == (503, UNAVAILABLE)
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "caching_sha2_password" in ready.get_json()["failed"]["mysql"]


def test_the_database_answers_as_the_services_user(probe):
    assert probe.get("/api/things").get_json() == {"things": [{"one": 1}]}
    assert probe.get("/readyz").get_json() == {"status": "ready", "checked": ["mysql"]}


def test_requests_reuse_pooled_connections_left_clean_and_survive_a_killed_one(settings, servers):
    db = kit.Database(settings)

    def register(app):
        @app.get("/api/id")
        def connection_id():
            return {"id": db.one("SELECT CONNECTION_ID() AS id")["id"]}

        @app.post("/api/leave-open")
        def leave_open():
            with db.connection().cursor() as cur:
                cur.execute("INSERT INTO products (name, price_cents, stock) VALUES ('never committed', 1, 1)")
            return {}

        @app.get("/api/count")
        def count():
            return db.one("SELECT COUNT(*) AS n FROM products")

    client = kit.create_app("kit-test", register, {}).test_client()
    first = client.get("/api/id").get_json()["id"]
    assert client.get("/api/id").get_json()["id"] == first, "the second request reuses the connection"
    client.post("/api/leave-open", json={})
    assert client.get("/api/count").get_json() == {"n": 0}, "what a request left uncommitted is rolled back"
    admin = test_servers.admin_connection(servers)
    with admin.cursor() as cur:
        cur.execute(f"KILL {first}")
    admin.close()
    again = client.get("/api/id")
    assert again.status_code == 200 and again.get_json()["id"] != first, "a connection the server closed is replaced, not lent"


def test_a_database_that_is_down_gives_503_and_not_ready(settings):
    client = probe_app(replace(settings, db_port=closed_port()))
    response = client.get("/api/things")
    assert (response.status_code, response.get_json()) == (503, UNAVAILABLE)
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "mysql" in ready.get_json()["failed"]
    assert client.get("/healthz").status_code == 200, "liveness never depends on the database"


def test_a_bug_is_a_json_500_without_details(probe):
    response = probe.get("/api/bug")
    assert (response.status_code, response.get_json()) == (500, {"error": "internal error"})


BAD_BODIES = {
    "malformed": (b"{", "application/json", 400, "not valid JSON"),
    "not UTF-8": (b"\xff\xfe{}", "application/json", 400, "not valid JSON"),
    "an array": (b"[1, 2]", "application/json", 400, "expected a JSON object"),
    "null": (b"null", "application/json", 400, "expected a JSON object"),
    "200 KB of nesting": (b"[" * 100_000 + b"]" * 100_000, "application/json", 413, ""),
    "60 KB of nested arrays": (b"[" * 30_000 + b"]" * 30_000, "application/json", 400, "not valid JSON"),
    "36 KB of nested objects": (b"{" + b'"a":{' * 6000 + b"}" * 6001, "application/json", 400, "not valid JSON"),
    "another content type": (b'{"a": 1}', "text/plain", 415, "Content-Type: application/json"),
    "over the size limit": (b"x" * (kit.MAX_BODY_BYTES + 1), "application/json", 413, ""),
}


@pytest.mark.parametrize("body, content_type, status, message", BAD_BODIES.values(), ids=BAD_BODIES.keys())
def test_bodies_that_are_not_one_json_object_get_a_json_4xx(probe, body, content_type, status, message):
    response = probe.post("/api/echo", data=body, content_type=content_type)
    assert response.status_code == status
    assert response.is_json and message in response.get_json()["error"]


def test_a_json_object_within_the_limits_is_read(probe):
    nested = {"a": [[[{"b": "[[[not nesting]]]"}]]]}
    assert probe.post("/api/echo", json=nested).get_json() == nested


@pytest.mark.parametrize("query, status, expected", [
    ("", 200, {"limit": 20, "after": None}),
    ("?limit=100&after=7", 200, {"limit": 100, "after": 7}),
    ("?limit=0", 400, None), ("?limit=101", 400, None), ("?limit=-1", 400, None), ("?limit=1.5", 400, None),
    ("?after=abc", 400, None), ("?after=0", 400, None), ("?limit=%D9%A3", 400, None),
])
def test_paging_arguments(probe, query, status, expected):
    response = probe.get(f"/api/page{query}")
    assert response.status_code == status
    if expected:
        assert response.get_json() == expected
    else:
        assert "a whole number" in response.get_json()["error"]


def test_unknown_paths_and_methods_are_json(probe):
    assert (probe.get("/api/nothing").status_code, probe.get("/api/nothing").is_json) == (404, True)
    assert (probe.delete("/api/things").status_code, probe.delete("/api/things").is_json) == (405, True)


def strict_media_type(header: str) -> tuple:
    """(type, parameters) as Go's mime.ParseMediaType reads it, which Prometheus uses: a repeated parameter fails."""
    kind, *params = [part.strip() for part in header.split(";")]
    parsed = {}
    for p in params:
        name, _, value = p.partition("=")
        name = name.strip().lower()
        assert name not in parsed, f"duplicate parameter {name} in {header!r}: Prometheus 3 refuses the scrape"
        parsed[name] = value.strip().strip('"')
    return kind.lower(), parsed


@pytest.mark.parametrize("accept", [PROMETHEUS_3_ACCEPT, "text/plain;version=0.0.4;q=0.3,*/*;q=0.2", None])
def test_metrics_come_in_a_content_type_prometheus_3_accepts(probe, accept):
    probe.get("/api/things")
    response = probe.get("/metrics", headers={"Accept": accept} if accept else {})
    kind, params = strict_media_type(response.headers["Content-Type"])
    assert (kind, params.get("version")) in PROMETHEUS_3_FORMATS
    body = response.get_data(as_text=True)
    # Rate, errors (status label) and the latency histogram with the 200 ms bucket of the objective.
    assert 'http_requests_total{method="GET",route="/api/things",service="kit-test",status="200"}' in body
    assert 'http_request_duration_seconds_bucket{le="0.2",method="GET",route="/api/things",service="kit-test"}' in body
    if accept == PROMETHEUS_3_ACCEPT:
        assert kind == "application/openmetrics-text" and body.rstrip().endswith("# EOF")


def test_a_lost_cache_costs_only_the_cache_and_is_skipped_for_a_while(settings):
    cache = kit.Cache(kit.redis_client(replace(settings, redis_port=closed_port())), "kit-probe", cooldown=30)
    failures = lambda: REGISTRY.get_sample_value("cache_failures_total", {"service": "kit-probe", "operation": "get"})  # noqa: E731
    loads = []
    value = kit.cached(cache, "k", 30, lambda: loads.append(1) or {"v": 1})
    assert value == {"v": 1} and loads == [1]
    assert failures() == 1, "the failed call is counted"
    for _ in range(20):
        assert kit.cached(cache, "k", 30, lambda: {"v": 2}) == {"v": 2}
    assert failures() == 1, "during the cooldown Redis is not called at all (no 20 more timeouts)"
    assert cache.generation("g") is None and cache.incr_window("w", 10) is None


def test_the_cache_stores_and_versions_values(settings):
    cache = kit.Cache(kit.redis_client(settings), "kit-test")
    assert kit.cached(cache, "k", 30, lambda: {"v": 1}) == {"v": 1}
    assert kit.cached(cache, "k", 30, lambda: {"v": 2}) == {"v": 1}
    assert cache.generation("g") == "0"
    cache.bump("g")
    assert cache.generation("g") == "1"
    assert [cache.incr_window("w", 10) for _ in range(3)] == [1, 2, 3]
    cache.take_back("w")
    assert cache.incr_window("w", 10) == 3 and 0 < cache.seconds_left("w") <= 10
    cache.take_back("never counted")
    assert cache.value("never counted") is None, "no count without its window (a DECR would leave -1 forever)"


def test_readiness_needs_the_migrated_schema_not_redis(settings):
    client = service.create(replace(settings, redis_port=closed_port())).test_client()
    assert client.get("/readyz").status_code == 200, "the cache is optional"


@pytest.fixture
def scratch(servers):
    """An empty database of its own, for tests that migrate and break schemas."""
    name = suite_database_name("_scratch")
    settings = create_database(servers, name)
    yield settings
    drop_database(servers, name)


def migrated(settings, migrations=migrate.MIGRATIONS) -> list:
    conn = connect(settings)
    try:
        return migrate.apply(conn, migrations)
    finally:
        conn.close()


def test_migrations_apply_once_in_order_and_make_the_service_ready(scratch):
    client = service.create(scratch).test_client()
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503 and "not migrated" in not_ready.get_json()["failed"]["mysql"]
    assert migrated(scratch) == [f"{m.version:04d}_{m.name}" for m in migrate.MIGRATIONS]
    assert migrated(scratch) == [], "a second run applies nothing"
    assert client.get("/readyz").status_code == 200
    conn = connect(scratch)
    with conn.cursor() as cur:
        cur.execute("SELECT version, COUNT(*) AS steps FROM schema_migrations GROUP BY version ORDER BY version")
        assert [(r["version"], r["steps"]) for r in cur.fetchall()] == [(m.version, len(m.statements)) for m in migrate.MIGRATIONS]
    conn.close()


def test_a_lost_table_makes_the_service_unready_and_its_requests_503(scratch):
    migrated(scratch)
    conn = connect(scratch)
    with conn.cursor() as cur:
        cur.execute("SET FOREIGN_KEY_CHECKS = 0")
        for table in service.TABLES:
            cur.execute(f"DROP TABLE {table}")
    conn.close()
    ready = service.create(scratch).test_client().get("/readyz")
    assert ready.status_code == 503 and "tables missing" in ready.get_json()["failed"]["mysql"]


def test_a_migration_stopped_half_way_resumes_with_the_statement_that_did_not_finish(scratch):
    migrated(scratch, migrate.MIGRATIONS[:2])
    last = migrate.MIGRATIONS[2]
    broken = replace(last, statements=(last.statements[0], "ALTER TABLE no_such_table ADD COLUMN x INT"))
    with pytest.raises(pymysql.err.ProgrammingError):
        migrated(scratch, [*migrate.MIGRATIONS[:2], broken])
    # The first statement (an ALTER that cannot run twice) is recorded; the fixed migration runs only the rest.
    assert migrated(scratch, migrate.MIGRATIONS[:3]) == [f"{last.version:04d}_{last.name}"]
    assert migrated(scratch, migrate.MIGRATIONS[:3]) == []


def recorded_steps(settings) -> list:
    conn = connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT version, step FROM schema_migrations ORDER BY version, step")
            return [(r["version"], r["step"]) for r in cur.fetchall()]
    finally:
        conn.close()


def all_steps(migrations=migrate.MIGRATIONS) -> list:
    return [(m.version, i) for m in migrations for i in range(1, len(m.statements) + 1)]


def test_a_run_killed_between_a_statement_and_its_record_resumes_and_readiness_waits_for_it(scratch, monkeypatch):
    # MySQL commits DDL by itself: a run killed right after the last ALTER, before its schema_migrations row, leaves
    # the column in place and the step unrecorded. The next run must not fail on it (1060 duplicate column) forever.
    last = migrate.MIGRATIONS[-1]
    record = migrate._record

    def killed_before_recording(cur, m, step):
        if (m.version, step) == (last.version, len(last.statements)):
            raise pymysql.err.OperationalError(2013, "Lost connection to server during query (the pod was killed)")
        record(cur, m, step)

    monkeypatch.setattr(migrate, "_record", killed_before_recording)
    with pytest.raises(pymysql.err.OperationalError):
        migrated(scratch)
    monkeypatch.setattr(migrate, "_record", record)
    assert recorded_steps(scratch) == all_steps()[:-1]
    client = service.create(scratch).test_client()
    half = client.get("/readyz")
    assert half.status_code == 503 and f"lacks migrations this code needs: {last.version:04d}_{last.name}" in half.get_json()["failed"]["mysql"]

    assert migrated(scratch) == [f"{last.version:04d}_{last.name}"], "the step is found in the database and recorded"
    assert recorded_steps(scratch) == all_steps()
    assert client.get("/readyz").status_code == 200
    assert migrated(scratch) == []


def test_a_step_partly_in_the_database_stops_the_run_naming_what_is_missing(scratch):
    migrated(scratch)
    step = next((m, i) for m in migrate.MIGRATIONS for i, s in enumerate(m.statements, 1) if len(migrate.additions(s)) > 1)
    m, i = step
    first, *rest = migrate.additions(m.statements[i - 1])
    conn = connect(scratch)
    with conn.cursor() as cur:
        for addition in rest:
            if addition.kind == "column":
                cur.execute(f"ALTER TABLE {addition.table} DROP COLUMN {addition.name}")
            else:
                cur.execute(f"ALTER TABLE {addition.table} DROP INDEX {addition.name}")
        cur.execute("DELETE FROM schema_migrations WHERE version = %s AND step = %s", (m.version, i))
    conn.commit()
    conn.close()
    with pytest.raises(RuntimeError, match=re.escape(f"{m.version:04d}_{m.name} step {i} is partly in the database ({first} exist")):
        migrated(scratch)


@pytest.mark.parametrize("statement, refused", [
    ("ALTER TABLE users DROP COLUMN role", "DROP in `ALTER TABLE users DROP COLUMN role`"),
    ("ALTER TABLE users ADD COLUMN a INT, MODIFY role VARCHAR(9)", "MODIFY in"),
    ("ALTER TABLE users ADD a INT", "ADD in"),
    ("UPDATE users SET role = 'admin'", "`UPDATE users SET role = 'admin'`"),
    ("DROP TABLE users", "`DROP TABLE users`"),
])
def test_only_additive_migrations_load(tmp_path, statement, refused):
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE IF NOT EXISTS t (id INT PRIMARY KEY);\nALTER TABLE t ADD COLUMN `b` VARCHAR(9) NOT NULL DEFAULT 'x,y', ADD UNIQUE KEY t_b (b);")
    assert [len(m.statements) for m in migrate.load(tmp_path)] == [2]
    (tmp_path / "0002_b.sql").write_text(f"-- a change that is not an addition\n{statement};")
    with pytest.raises(RuntimeError, match=re.escape(f"0002_b.sql: {refused}")) as error:
        migrate.load(tmp_path)
    assert "migrations only add" in str(error.value)


def test_a_migration_changed_after_it_was_applied_stops_the_run(scratch):
    migrated(scratch)
    first = migrate.MIGRATIONS[0]
    with pytest.raises(RuntimeError, match="0001_baseline changed after it was applied"):
        migrated(scratch, [replace(first, sha256="0" * 64), *migrate.MIGRATIONS[1:]])


def test_concurrent_runs_are_serialised_by_the_lock(scratch):
    results, errors = [], []

    def run():
        try:
            results.append(migrated(scratch))
        except Exception as error:  # collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(map(len, results)) == [0, 0, 0, len(migrate.MIGRATIONS)], "exactly one run applied them"


def test_migration_files_are_numbered_without_gaps(tmp_path):
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE a (id INT);")
    (tmp_path / "0003_c.sql").write_text("CREATE TABLE c (id INT);")
    with pytest.raises(RuntimeError, match="without gaps"):
        migrate.load(tmp_path)
    (tmp_path / "2_b.sql").write_text("CREATE TABLE b (id INT);")
    with pytest.raises(RuntimeError, match="NNNN_name.sql"):
        migrate.load(tmp_path)


def test_session_tokens_are_signed_expire_and_name_a_role(settings, monkeypatch):
    sessions = Sessions(settings.session_key)
    token = sessions.issue(7, "admin", 3)
    assert sessions.verify(token) == Claims(user_id=7, version=3)
    # A token of the previous version (no session version in it) counts as version 0, the column's default.
    assert sessions.verify(sessions._serializer.dumps({"sub": 7, "role": "customer"})) == Claims(user_id=7, version=0)
    for claims in ({"sub": 7, "role": "customer", "ver": -1}, {"sub": 7, "role": "customer", "ver": True}, {"sub": "7", "role": "customer"}, [7]):
        with pytest.raises(kit.ApiError, match="not valid"):
            sessions.verify(sessions._serializer.dumps(claims))
    for forged in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), Sessions("x" * 40).issue(7, "admin"), "not-a-token"):
        with pytest.raises(kit.ApiError, match="not valid") as error:
            sessions.verify(forged)
        assert error.value.status == 401
    # A token signed 12 h and a second ago.
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda _self: int(time.time()) - sessions.max_age - 1)
        old = sessions.issue(7, "admin")
    with pytest.raises(kit.ApiError, match="expired"):
        sessions.verify(old)
    with pytest.raises(RuntimeError, match="at least 32 characters"):
        Sessions("short")


def test_the_settings_name_what_is_missing():
    with pytest.raises(RuntimeError, match="DB_PASSWORD, SESSION_KEY"):
        kit.Settings.from_env({"DB_HOST": "h", "DB_NAME": "n", "DB_USER": "u", "REDIS_HOST": "r"})
    s = kit.Settings.from_env({"DB_HOST": "h", "DB_NAME": "n", "DB_USER": "u", "DB_PASSWORD": "p", "REDIS_HOST": "r", "SESSION_KEY": "k" * 64})
    assert (s.db_port, s.redis_port, s.redis_password) == (3306, 6379, None)


@pytest.mark.parametrize("forwarded, expected", [
    (None, "10.1.2.3"), ("203.0.113.7", "203.0.113.7"), ("198.51.100.9, 203.0.113.7", "203.0.113.7"),
    ("2001:DB8::1", "2001:db8::1"), ("not an address", "10.1.2.3"), ("203.0.113.7:443", "10.1.2.3"), ("", "10.1.2.3"),
])
def test_the_client_address_is_the_one_nginx_forwards_or_the_peer(forwarded, expected):
    app = kit.create_app("kit-test", lambda _app: None, {})
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    with app.test_request_context(headers=headers, environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        assert kit.client_address() == expected


@pytest.mark.parametrize("name", ["a\x00b", "a\tb", "a\x7fb", "a\x85b", "a\u2028b", "a\ud800b", "\u202eevil.exe", "a\u2066b\u2069", "a\u200fb", "a\u061cb"],
                         ids=["NUL", "tab", "DEL", "C1 next line", "line separator", "lone surrogate", "right-to-left override", "isolate", "RLM", "Arabic letter mark"])
def test_names_refuse_control_and_bidirectional_formatting_characters(name):
    with pytest.raises(kit.ApiError, match="without control or bidirectional formatting characters") as error:
        kit.text({"name": name}, "name", 100)
    assert error.value.status == 400


def test_names_keep_any_script_and_emoji():
    for name in ("Zoë O'Brien", "שלום עליכם", "山田 太郎", "family 👩\u200d👩\u200d👧", "  padded  "):
        assert kit.text({"name": name}, "name", 100) == name.strip()


def test_json_errors_carry_details_and_headers(settings):
    def register(app):
        @app.get("/api/fail")
        def fail():
            raise kit.ApiError(409, "no", {"Retry-After": "3"}, unavailable=[1])

    response = kit.create_app("kit-test", register, {}).test_client().get("/api/fail")
    assert (response.status_code, json.loads(response.data), response.headers["Retry-After"]) == (409, {"error": "no", "unavailable": [1]}, "3")


def test_a_test_server_whose_port_was_taken_meanwhile_starts_on_another_and_other_failures_are_not_retried(tmp_path):
    """servers.py picks a free port, then the server binds it: another process may take it in between."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        redis = test_servers.Redis(tmp_path)
        redis.port = taken.getsockname()[1]
        redis.start()
        try:
            assert redis.port != taken.getsockname()[1]
            assert redis._pong()
        finally:
            redis.process.terminate()
            redis.process.wait(timeout=10)
    finally:
        taken.close()
    assert len({test_servers.free_port() for _ in range(50)}) == 50, "never the same port twice"
    calls = []

    def broken():
        calls.append(1)
        raise RuntimeError("redis-server exited with 1:\nBad directive or wrong number of arguments")

    class Server:
        port = 1

    with pytest.raises(RuntimeError, match="Bad directive"):
        test_servers.start_on_free_port(Server(), broken)
    assert calls == [1]
