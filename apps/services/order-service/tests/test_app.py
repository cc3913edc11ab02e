import pytest

import app as service
from fakes import FakeCache, failing, passing


class FakeOrders:
    def __init__(self):
        self.rows = []

    def list(self):
        return [{k: o[k] for k in ("id", "user_id", "total_cents")} for o in reversed(self.rows)]

    def get(self, order_id):
        return next((o for o in self.rows if o["id"] == order_id), None)

    def create(self, user_id, items):
        order = {"id": len(self.rows) + 1, "user_id": user_id, "total_cents": sum(i["quantity"] * i["unit_price_cents"] for i in items), "items": items}
        self.rows.append(order)
        return order


class FakeCatalogue:
    def __init__(self, users=(), products=None, down=False):
        self.users = set(users)
        self.products = products or {}
        self.down = down

    def user(self, user_id):
        if self.down:
            raise service.Unavailable("user-service: connection refused")
        return {"id": user_id} if user_id in self.users else None

    def product(self, product_id):
        if self.down:
            raise service.Unavailable("product-service: connection refused")
        price = self.products.get(product_id)
        return None if price is None else {"id": product_id, "price_cents": price}


def make_client(catalogue, orders=None, checks=None):
    checks = checks or {"mysql": passing, "redis": passing}
    return service.build_app(orders or FakeOrders(), catalogue, FakeCache(), checks).test_client()


@pytest.fixture
def client():
    return make_client(FakeCatalogue(users=[1], products={10: 250, 11: 1000}))


def test_an_order_records_current_prices_and_its_total(client):
    response = client.post(
        "/api/orders",
        json={"user_id": 1, "items": [{"product_id": 11, "quantity": 1}, {"product_id": 10, "quantity": 2}, {"product_id": 10, "quantity": 1}]},
    )
    assert response.status_code == 201
    order = response.get_json()
    assert order["total_cents"] == 3 * 250 + 1000
    assert order["items"] == [
        {"product_id": 10, "quantity": 3, "unit_price_cents": 250},
        {"product_id": 11, "quantity": 1, "unit_price_cents": 1000},
    ]
    assert response.headers["Location"] == "/api/orders/1"
    assert client.get("/api/orders/1").get_json()["total_cents"] == 1750
    assert client.get("/api/orders").get_json() == [{"id": 1, "user_id": 1, "total_cents": 1750}]


def test_unknown_user_or_product_is_422(client):
    assert client.post("/api/orders", json={"user_id": 2, "items": [{"product_id": 10, "quantity": 1}]}).status_code == 422
    response = client.post("/api/orders", json={"user_id": 1, "items": [{"product_id": 99, "quantity": 1}]})
    assert response.status_code == 422
    assert response.get_json() == {"error": "no product 99"}


def test_another_service_down_is_503_and_nothing_is_stored():
    orders = FakeOrders()
    client = make_client(FakeCatalogue(down=True), orders)
    assert client.post("/api/orders", json={"user_id": 1, "items": [{"product_id": 10, "quantity": 1}]}).status_code == 503
    assert orders.rows == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"items": [{"product_id": 10, "quantity": 1}]}, "user_id"),
        ({"user_id": 0, "items": [{"product_id": 10, "quantity": 1}]}, "user_id"),
        ({"user_id": 1}, "items"),
        ({"user_id": 1, "items": []}, "items"),
        ({"user_id": 1, "items": ["x"]}, "items"),
        ({"user_id": 1, "items": [{"product_id": 10}]}, "items[].quantity"),
        ({"user_id": 1, "items": [{"product_id": 10, "quantity": 1001}]}, "items[].quantity"),
        ({"user_id": 1, "items": [{"product_id": "10", "quantity": 1}]}, "items[].product_id"),
    ],
)
def test_rejects_bad_input_naming_the_field(client, body, field):
    response = client.post("/api/orders", json=body)
    assert response.status_code == 400
    assert response.get_json()["error"].startswith(field)


def test_unknown_order_is_404(client):
    assert client.get("/api/orders/5").status_code == 404


def test_readiness_reports_each_failed_dependency():
    client = make_client(FakeCatalogue(), checks={"mysql": failing, "redis": failing})
    response = client.get("/readyz")
    assert response.status_code == 503
    assert sorted(response.get_json()["failed"]) == ["mysql", "redis"]
    assert client.get("/healthz").status_code == 200


def test_catalogue_maps_http_answers():
    catalogue = service.Catalogue("http://127.0.0.1:9", "http://127.0.0.1:9", timeout=0.5)
    with pytest.raises(service.Unavailable):
        catalogue.user(1)
