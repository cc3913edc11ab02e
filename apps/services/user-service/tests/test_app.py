import pytest

import app as service
import service_kit as kit
from fakes import FakeCache, failing, passing


class FakeUsers:
    def __init__(self):
        self.rows = []

    def list(self):
        return list(reversed(self.rows))

    def get(self, user_id):
        return next((u for u in self.rows if u["id"] == user_id), None)

    def create(self, name, email):
        if any(u["email"] == email for u in self.rows):
            return None
        user = {"id": len(self.rows) + 1, "name": name, "email": email}
        self.rows.append(user)
        return user


@pytest.fixture
def users():
    return FakeUsers()


@pytest.fixture
def cache():
    return FakeCache()


@pytest.fixture
def client(users, cache):
    return service.build_app(users, cache, {"mysql": passing, "redis": passing}).test_client()


def test_creates_and_reads_a_user(client):
    created = client.post("/api/users", json={"name": " Ada ", "email": "Ada@Example.com"})
    assert created.status_code == 201
    assert created.get_json() == {"id": 1, "name": "Ada", "email": "ada@example.com"}
    assert created.headers["Location"] == "/api/users/1"
    assert client.get("/api/users/1").get_json()["email"] == "ada@example.com"
    assert client.get("/api/users").get_json() == [{"id": 1, "name": "Ada", "email": "ada@example.com"}]


def test_unknown_user_is_404_json(client):
    response = client.get("/api/users/42")
    assert response.status_code == 404
    assert response.get_json() == {"error": "no user 42"}


def test_duplicate_email_is_409(client):
    client.post("/api/users", json={"name": "Ada", "email": "ada@example.com"})
    assert client.post("/api/users", json={"name": "Other", "email": "ada@example.com"}).status_code == 409


@pytest.mark.parametrize(
    "body, message",
    [
        ({"email": "a@b.co"}, "name"),
        ({"name": "", "email": "a@b.co"}, "name"),
        ({"name": "x" * 101, "email": "a@b.co"}, "name"),
        ({"name": "Ada"}, "email"),
        ({"name": "Ada", "email": "not-an-email"}, "email"),
        ({"name": "Ada", "email": 7}, "email"),
    ],
)
def test_rejects_bad_input_naming_the_field(client, body, message):
    response = client.post("/api/users", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"].startswith(message)


def test_rejects_a_body_that_is_not_a_json_object(client):
    assert client.post("/api/users", data="[]", content_type="application/json").status_code == 400
    assert client.post("/api/users", data="nope", content_type="text/plain").status_code == 400


def test_list_is_cached_and_a_new_user_invalidates_it(client, users, cache):
    client.post("/api/users", json={"name": "Ada", "email": "ada@example.com"})
    assert len(client.get("/api/users").get_json()) == 1
    users.rows.append({"id": 2, "name": "Hidden", "email": "h@example.com"})  # behind the cache's back
    assert len(client.get("/api/users").get_json()) == 1
    client.post("/api/users", json={"name": "Bob", "email": "bob@example.com"})
    assert len(client.get("/api/users").get_json()) == 3


def test_a_redis_outage_does_not_break_the_api(users):
    client = service.build_app(users, FakeCache(broken=True), {"mysql": passing, "redis": passing}).test_client()
    assert client.post("/api/users", json={"name": "Ada", "email": "ada@example.com"}).status_code == 201
    assert client.get("/api/users").status_code == 200


def test_liveness_ignores_dependencies_readiness_reports_them(users, cache):
    client = service.build_app(users, cache, {"mysql": passing, "redis": failing}).test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert list(ready.get_json()["failed"]) == ["redis"]
    healthy = service.build_app(users, cache, {"mysql": passing, "redis": passing}).test_client()
    assert healthy.get("/readyz").status_code == 200


def test_metrics_count_api_requests(client):
    client.get("/api/users")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'http_requests_total{method="GET",route="/api/users",service="user-service",status="200"}' in text
    assert "http_request_duration_seconds_bucket" in text


def test_settings_come_from_the_environment_and_name_what_is_missing():
    settings = kit.Settings.from_env(
        {"DB_HOST": "mysql", "DB_NAME": "shop", "DB_USER": "shop", "DB_PASSWORD": "pw", "REDIS_HOST": "redis", "REDIS_PASSWORD": "r"}
    )
    assert (settings.db_port, settings.redis_port, settings.redis_password) == (3306, 6379, "r")
    with pytest.raises(RuntimeError, match="DB_PASSWORD, REDIS_HOST"):
        kit.Settings.from_env({"DB_HOST": "mysql", "DB_NAME": "shop", "DB_USER": "shop"})
