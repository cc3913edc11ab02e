"""The shared kit, tested in every Python service's image (the Dockerfile's test stage puts these tests next to the
service's own): the MySQL driver can log in with MySQL 8.4's default plugin, and a driver that cannot log in makes
the service unavailable (503), not broken (500)."""
import pymysql
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pymysql import _auth

import service_kit as kit

SETTINGS = kit.Settings(
    db_host="mysql", db_port=3306, db_name="shop", db_user="shop", db_password="pw",
    redis_host="redis", redis_port=6379, redis_password=None,
)
UNAVAILABLE = {"error": "a service this request needs is unavailable, try again"}


def test_the_driver_can_send_the_password_for_a_caching_sha2_full_login():
    # After a MySQL restart (empty auth cache) a login over plain TCP sends the password encrypted with the server's
    # RSA key; PyMySQL needs the cryptography package for that (RuntimeError without it).
    server_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = server_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    nonce = bytes(range(1, 21))
    encrypted = _auth.sha2_rsa_encrypt(b"s3cret", nonce, public_pem)
    scrambled = server_key.decrypt(encrypted, padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None))
    # What the server recovers: the password, NUL-terminated, once the nonce is XORed out.
    assert bytes(b ^ nonce[i % len(nonce)] for i, b in enumerate(scrambled)) == b"s3cret\0"


def cannot_authenticate(**_settings):
    raise RuntimeError("'cryptography' package is required for sha256_password or caching_sha2_password auth methods")


def app_reading(db):
    def register(app):
        @app.get("/api/things")
        def things():
            db.connection()
            return {"things": []}

        @app.get("/api/bug")
        def bug():
            raise RuntimeError("a bug of the service")

    return kit.create_app("kit-test", register, {"mysql": db.ping}).test_client()


def test_a_driver_that_cannot_log_in_means_the_database_is_unavailable(monkeypatch):
    monkeypatch.setattr(kit.pymysql, "connect", cannot_authenticate)
    db = kit.Database(SETTINGS, [])
    with pytest.raises(pymysql.err.OperationalError, match="authentication failed in the driver: 'cryptography' package is required"):
        db.ping()
    client = app_reading(db)
    api = client.get("/api/things")
    assert (api.status_code, api.get_json()) == (503, UNAVAILABLE)
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "caching_sha2_password" in ready.get_json()["failed"]["mysql"]


def test_other_runtime_errors_stay_internal_errors(monkeypatch):
    monkeypatch.setattr(kit.pymysql, "connect", lambda **_settings: None)
    response = app_reading(kit.Database(SETTINGS, [])).get("/api/bug")
    assert (response.status_code, response.get_json()) == (500, {"error": "internal error"})


class RecordingConnection:
    """A connection whose cursor answers every query with the given rows and records what was asked."""

    def __init__(self, rows):
        self.rows = rows
        self.queries = []

    def cursor(self):
        connection = self

        class Cursor:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def execute(self, sql, args=()):
                connection.queries.append((sql, args))

            def fetchall(self):
                return tuple(connection.rows)

            def fetchone(self):
                return connection.rows[0] if connection.rows else None

        return Cursor()

    def commit(self):
        pass

    def close(self):
        pass


def test_all_and_one_run_the_query_on_the_request_connection(monkeypatch):
    conn = RecordingConnection([{"id": 2}, {"id": 1}])
    monkeypatch.setattr(kit.pymysql, "connect", lambda **_settings: conn)
    db = kit.Database(SETTINGS, ["CREATE TABLE t (id INT)"])
    app = kit.create_app("kit-test", lambda _app: None, {})
    with app.test_request_context():
        assert db.all("SELECT id FROM t WHERE id > %s", (0,)) == [{"id": 2}, {"id": 1}]
        assert db.one("SELECT id FROM t WHERE id = %s", (2,)) == {"id": 2}
    # The schema runs once, before the first query; arguments are passed to the driver, never formatted in.
    assert conn.queries == [("CREATE TABLE t (id INT)", ()), ("SELECT id FROM t WHERE id > %s", (0,)), ("SELECT id FROM t WHERE id = %s", (2,))]
    conn.rows = []
    with app.test_request_context():
        assert db.one("SELECT id FROM t WHERE id = %s", (9,)) is None
