"""Fixtures of every service's tests: a real MySQL-compatible server and a real Redis (servers.py: the ones the
environment names, or MariaDB and Redis started here), a database of the service's own with its own user,
migrated by migrate.py as in the pods, emptied before each test, and signed-in users.
"""
import os
import secrets
import sys

# The image's layout: the modules (service_kit.py, sessions.py, migrate.py and the service's app.py) in /app, and in
# /app/tests the kit's tests (this folder) next to the service's own (<service>/tests/). See python-kit/Dockerfile.
APP_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, APP_DIR)

import pytest  # noqa: E402
import redis  # noqa: E402

import app as service  # noqa: E402
import migrate  # noqa: E402
import servers as test_servers  # noqa: E402
import service_kit as kit  # noqa: E402
from sessions import Sessions  # noqa: E402

# Each service's suite has its own Redis database, so suites may run side by side on one server.
REDIS_DBS = {"user-service": 1, "product-service": 2, "order-service": 3}
TABLES = ("order_items", "orders", "products", "users")


@pytest.fixture(scope="session")
def servers():
    given = test_servers.Servers.from_env()
    if given is not None:
        yield given
        return
    local = test_servers.LocalServers()
    try:
        yield local.start()
    finally:
        local.stop()


def create_database(servers, name: str) -> kit.Settings:
    """A new, empty database with its own user (servers.create_database), as the service's Settings."""
    return kit.Settings(
        db_host=servers.db_host, db_port=servers.db_port, **test_servers.create_database(servers, name),
        redis_host=servers.redis_host, redis_port=servers.redis_port, redis_password=servers.redis_password or None,
        session_key=secrets.token_urlsafe(48), redis_db=REDIS_DBS[service.SERVICE],
    )


drop_database = test_servers.drop_database


@pytest.fixture(scope="session")
def settings(servers) -> kit.Settings:
    """The service's test database, migrated as the init container migrates the real one."""
    name = suite_database_name()
    s = create_database(servers, name)
    conn = connect(s)
    try:
        migrate.apply(conn)
    finally:
        conn.close()
    yield s
    drop_database(servers, name)


def suite_database_name(suffix: str = "") -> str:
    """shop_test_<service>[_suffix]: also the user's name, which MySQL limits to 32 characters."""
    name = f"shop_test_{service.SERVICE.split('-')[0]}{suffix}"
    assert len(name) <= 32, name
    return name


def connect(s: kit.Settings):
    return kit.Database(s).connect()


@pytest.fixture
def db(settings):
    """A connection to the service's database, autocommitting, for a test to arrange and inspect rows."""
    conn = connect(settings)
    conn.autocommit(True)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def _stores(settings):
    """One connection to the database and one to Redis for emptying them between tests."""
    conn = connect(settings)
    conn.autocommit(True)
    cache = redis.Redis(host=settings.redis_host, port=settings.redis_port, password=settings.redis_password, db=settings.redis_db)
    yield conn, cache
    conn.close()
    cache.close()


@pytest.fixture(autouse=True)
def empty(_stores):
    """Every test starts with no rows and an empty cache."""
    conn, cache = _stores
    with conn.cursor() as cur:
        for table in TABLES:
            cur.execute(f"DELETE FROM {table}")
    cache.flushdb()


@pytest.fixture
def client(settings):
    return service.create(settings).test_client()


@pytest.fixture
def sessions(settings):
    return Sessions(settings.session_key)


def add_user(conn, email: str, role: str = "customer", name: str = "Test User") -> int:
    with conn.cursor() as cur:
        cur.execute("INSERT INTO users (name, email, role) VALUES (%s, %s, %s)", (name, email, role))
        return cur.lastrowid


def add_product(conn, name: str, price_cents: int, stock: int) -> int:
    with conn.cursor() as cur:
        cur.execute("INSERT INTO products (name, price_cents, stock) VALUES (%s, %s, %s)", (name, price_cents, stock))
        return cur.lastrowid


@pytest.fixture
def customer(db, sessions):
    """A signed-in customer: {"id", "headers"} with the Authorization header of their session."""
    user_id = add_user(db, "customer@example.com")
    return {"id": user_id, "headers": {"Authorization": f"Bearer {sessions.issue(user_id, 'customer')}"}}


@pytest.fixture
def admin(db, sessions):
    user_id = add_user(db, "admin@example.com", role="admin")
    return {"id": user_id, "headers": {"Authorization": f"Bearer {sessions.issue(user_id, 'admin')}"}}


def closed_port() -> int:
    """A loopback port nothing listens on (a server that is down)."""
    return test_servers.free_port()
