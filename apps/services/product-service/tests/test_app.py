import pytest

import app as service
from fakes import FakeCache, failing, passing


class FakeProducts:
    def __init__(self):
        self.rows = []

    def list(self):
        return list(self.rows)

    def get(self, product_id):
        return next((p for p in self.rows if p["id"] == product_id), None)

    def create(self, name, price_cents, stock):
        product = {"id": len(self.rows) + 1, "name": name, "price_cents": price_cents, "stock": stock}
        self.rows.append(product)
        return product


@pytest.fixture
def products():
    return FakeProducts()


@pytest.fixture
def client(products):
    return service.build_app(products, FakeCache(), {"mysql": passing, "redis": passing}).test_client()


def test_creates_and_reads_a_product(client):
    created = client.post("/api/products", json={"name": "Tea", "price_cents": 450, "stock": 3})
    assert created.status_code == 201
    assert created.get_json() == {"id": 1, "name": "Tea", "price_cents": 450, "stock": 3}
    assert created.headers["Location"] == "/api/products/1"
    assert client.get("/api/products/1").get_json()["price_cents"] == 450
    assert [p["name"] for p in client.get("/api/products").get_json()] == ["Tea"]


def test_stock_defaults_to_zero(client):
    assert client.post("/api/products", json={"name": "Tea", "price_cents": 450}).get_json()["stock"] == 0


def test_unknown_product_is_404(client):
    assert client.get("/api/products/9").status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"price_cents": 1}, "name"),
        ({"name": "Tea"}, "price_cents"),
        ({"name": "Tea", "price_cents": -1}, "price_cents"),
        ({"name": "Tea", "price_cents": 4.5}, "price_cents"),
        ({"name": "Tea", "price_cents": True}, "price_cents"),
        ({"name": "Tea", "price_cents": 100_000_001}, "price_cents"),
        ({"name": "Tea", "price_cents": 1, "stock": "3"}, "stock"),
    ],
)
def test_rejects_bad_input_naming_the_field(client, body, field):
    response = client.post("/api/products", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"].startswith(field)


def test_a_new_product_invalidates_the_cached_list(client, products):
    client.get("/api/products")
    products.rows.append({"id": 1, "name": "Hidden", "price_cents": 1, "stock": 0})
    assert client.get("/api/products").get_json() == []
    client.post("/api/products", json={"name": "Tea", "price_cents": 450})
    assert len(client.get("/api/products").get_json()) == 2


def test_readiness_fails_when_mysql_is_down(products):
    client = service.build_app(products, FakeCache(), {"mysql": failing, "redis": passing}).test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "mysql" in response.get_json()["failed"]


def test_metrics_name_the_service(client):
    client.get("/api/products")
    assert 'service="product-service"' in client.get("/metrics").get_data(as_text=True)
