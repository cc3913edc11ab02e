"""product-service against a real database and Redis: the catalogue in pages, cached without showing stale stock for
long, and changed by administrators only."""
from dataclasses import replace

import pytest

import app as service
from conftest import add_product, closed_port

LAMP = {"name": "Desk lamp", "price_cents": 2499, "stock": 7}


def test_an_admin_adds_a_product_and_everybody_sees_it(client, admin):
    created = client.post("/api/products", json=LAMP, headers=admin["headers"])
    assert created.status_code == 201
    product = created.get_json()
    assert product == {"id": product["id"], **LAMP}
    assert client.get(f"/api/products/{product['id']}").get_json() == product
    assert client.get("/api/products").get_json() == {"items": [product], "next": None}


def test_only_admins_change_the_catalogue(client, customer, db):
    product_id = add_product(db, "Mug", 900, 3)
    for method, path in [("post", "/api/products"), ("patch", f"/api/products/{product_id}")]:
        assert getattr(client, method)(path, json=LAMP).status_code == 401
        forbidden = getattr(client, method)(path, json=LAMP, headers=customer["headers"])
        assert forbidden.status_code == 403 and "administrator" in forbidden.get_json()["error"]
    assert client.get(f"/api/products/{product_id}").get_json()["price_cents"] == 900


def test_a_demoted_or_deleted_administrators_token_no_longer_changes_the_catalogue(client, admin, db):
    assert client.post("/api/products", json=LAMP, headers=admin["headers"]).status_code == 201
    product_id = add_product(db, "Mug", 900, 3)
    with db.cursor() as cur:
        cur.execute("UPDATE users SET role = 'customer' WHERE id = %s", (admin["id"],))
    for method, path in [("post", "/api/products"), ("patch", f"/api/products/{product_id}")]:
        assert getattr(client, method)(path, json=LAMP, headers=admin["headers"]).status_code == 403, method
    with db.cursor() as cur:
        cur.execute("UPDATE users SET role = 'admin', session_version = session_version + 1 WHERE id = %s", (admin["id"],))
    signed_out = client.patch(f"/api/products/{product_id}", json={"stock": 0}, headers=admin["headers"])
    assert signed_out.status_code == 401 and "signed out" in signed_out.get_json()["error"]
    with db.cursor() as cur:
        cur.execute("DELETE FROM users WHERE id = %s", (admin["id"],))
    assert client.post("/api/products", json=LAMP, headers=admin["headers"]).status_code == 401
    assert client.get(f"/api/products/{product_id}").get_json()["stock"] == 3


@pytest.mark.parametrize("fields, what", [
    ({"name": ""}, "name"), ({"name": "x" * 201}, "name"), ({"price_cents": -1}, "price_cents"), ({"price_cents": 19.99}, "price_cents"),
    ({"price_cents": "1999"}, "price_cents"), ({"price_cents": True}, "price_cents"), ({"stock": -5}, "stock"),
    ({"stock": service.MAX_STOCK + 1}, "stock"), ({"colour": "red"}, "unknown fields"),
])
def test_a_product_is_checked(client, admin, fields, what):
    response = client.post("/api/products", json={**LAMP, **fields}, headers=admin["headers"])
    assert response.status_code == 400 and what in response.get_json()["error"]


def test_an_admin_changes_price_and_stock(client, admin, db):
    product_id = add_product(db, "Mug", 900, 3)
    changed = client.patch(f"/api/products/{product_id}", json={"stock": 40, "price_cents": 850}, headers=admin["headers"])
    assert changed.get_json() == {"id": product_id, "name": "Mug", "price_cents": 850, "stock": 40}
    assert client.patch(f"/api/products/{product_id}", json={}, headers=admin["headers"]).status_code == 400
    assert client.patch("/api/products/999999", json={"stock": 1}, headers=admin["headers"]).status_code == 404


def test_the_catalogue_comes_in_pages(client, db):
    ids = [add_product(db, f"Item {i}", 100 + i, i) for i in range(5)]
    first = client.get("/api/products?limit=2").get_json()
    assert [p["id"] for p in first["items"]] == ids[:2] and first["next"] == ids[1]
    second = client.get(f"/api/products?limit=2&after={first['next']}").get_json()
    assert [p["id"] for p in second["items"]] == ids[2:4]
    last = client.get(f"/api/products?limit=2&after={second['next']}").get_json()
    assert [p["id"] for p in last["items"]] == ids[4:] and last["next"] is None
    assert len(client.get("/api/products").get_json()["items"]) == 5
    assert client.get("/api/products?limit=1000").status_code == 400


def test_pages_are_cached_and_a_change_shows_at_once(client, admin, db):
    product_id = add_product(db, "Mug", 900, 3)
    assert client.get("/api/products").get_json()["items"][0]["stock"] == 3
    with db.cursor() as cur:
        cur.execute("UPDATE products SET stock = 0 WHERE id = %s", (product_id,))
    assert client.get("/api/products").get_json()["items"][0]["stock"] == 3, "served from the cache"
    assert client.get(f"/api/products/{product_id}").get_json()["stock"] == 0, "one product is never cached"
    client.patch(f"/api/products/{product_id}", json={"stock": 9}, headers=admin["headers"])
    assert client.get("/api/products").get_json()["items"][0]["stock"] == 9, "a change bumps the cache generation"


def test_the_catalogue_is_served_without_redis(settings, db):
    product_id = add_product(db, "Mug", 900, 3)
    client = service.create(replace(settings, redis_port=closed_port())).test_client()
    assert client.get("/api/products").get_json()["items"][0]["id"] == product_id
    assert client.get("/readyz").status_code == 200


def test_unknown_products_are_404(client):
    response = client.get("/api/products/123456")
    assert (response.status_code, response.get_json()) == (404, {"error": "no product 123456"})
