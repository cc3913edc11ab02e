"""order-service: the shop's orders.

  GET  /api/orders          the orders (newest 1000), cached in Redis for 30 s
  GET  /api/orders/<id>     one order with its items, 404 when unknown
  POST /api/orders          {"user_id": 1, "items": [{"product_id": 2, "quantity": 3}]} -> 201 with the order

An order is checked with the two other services: its user must exist (user-service) and so must each product
(product-service), whose current price is recorded in the order. 422 for an unknown user or product, 503 when a
service cannot answer. Environment: USER_SERVICE_URL, PRODUCT_SERVICE_URL, plus service_kit's.
Run by gunicorn as `app:from_env()` (gunicorn.conf.py); tests build the app with fakes through build_app().
"""
import json
import os
import urllib.error
import urllib.request

from flask import Flask, jsonify

import service_kit as kit

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS orders (
        id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
        user_id BIGINT UNSIGNED NOT NULL,
        total_cents BIGINT UNSIGNED NOT NULL,
        created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
        KEY orders_user (user_id)
    )""",
    """CREATE TABLE IF NOT EXISTS order_items (
        order_id BIGINT UNSIGNED NOT NULL,
        product_id BIGINT UNSIGNED NOT NULL,
        quantity INT UNSIGNED NOT NULL,
        unit_price_cents INT UNSIGNED NOT NULL,
        PRIMARY KEY (order_id, product_id),
        CONSTRAINT order_items_order FOREIGN KEY (order_id) REFERENCES orders (id) ON DELETE CASCADE
    )""",
]
LIST_KEY = "order-service:orders"
CACHE_SECONDS = 30
MAX_ITEMS = 50


class Unavailable(Exception):
    """Another service could not answer."""


class Catalogue:
    """Reads users and products from their services over HTTP."""

    def __init__(self, user_service_url: str, product_service_url: str, timeout: float = 3.0):
        self._users = user_service_url.rstrip("/")
        self._products = product_service_url.rstrip("/")
        self._timeout = timeout

    def _get(self, url: str):
        try:
            with urllib.request.urlopen(url, timeout=self._timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise Unavailable(f"GET {url}: HTTP {error.code}") from error
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            raise Unavailable(f"GET {url}: {error}") from error

    def user(self, user_id: int):
        return self._get(f"{self._users}/api/users/{user_id}")

    def product(self, product_id: int):
        return self._get(f"{self._products}/api/products/{product_id}")


class Orders:
    """The orders and order_items tables."""

    def __init__(self, db: kit.Database):
        self._db = db

    def list(self) -> list:
        return self._db.all("SELECT id, user_id, total_cents FROM orders ORDER BY id DESC LIMIT 1000")

    def get(self, order_id: int):
        order = self._db.one("SELECT id, user_id, total_cents FROM orders WHERE id = %s", (order_id,))
        if order is None:
            return None
        items = self._db.all(
            "SELECT product_id, quantity, unit_price_cents FROM order_items WHERE order_id = %s ORDER BY product_id",
            (order_id,),
        )
        return {**order, "items": items}

    def create(self, user_id: int, items: list) -> dict:
        """Stores the order and its items in one transaction."""
        total = sum(i["quantity"] * i["unit_price_cents"] for i in items)
        conn = self._db.connection()
        try:
            with conn.cursor() as cur:
                cur.execute("INSERT INTO orders (user_id, total_cents) VALUES (%s, %s)", (user_id, total))
                order_id = cur.lastrowid
                cur.executemany(
                    "INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents) VALUES (%s, %s, %s, %s)",
                    [(order_id, i["product_id"], i["quantity"], i["unit_price_cents"]) for i in items],
                )
            conn.commit()
        except Exception:
            conn.rollback()
            raise
        return {"id": order_id, "user_id": user_id, "total_cents": total, "items": items}


def positive(value, what: str, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise kit.ApiError(400, f"{what}: a whole number from 1 to {maximum}")
    return value


def validate(body: dict) -> tuple:
    user_id = positive(body.get("user_id"), "user_id", 2**63 - 1)
    items = body.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise kit.ApiError(400, f"items: a list of 1 to {MAX_ITEMS} {{product_id, quantity}} objects")
    quantities = {}
    for item in items:
        if not isinstance(item, dict):
            raise kit.ApiError(400, "items: each item is a {product_id, quantity} object")
        product_id = positive(item.get("product_id"), "items[].product_id", 2**63 - 1)
        quantities[product_id] = quantities.get(product_id, 0) + positive(item.get("quantity"), "items[].quantity", 1000)
    return user_id, quantities


def build_app(orders, catalogue, cache, checks) -> Flask:
    def register(app: Flask) -> None:
        @app.errorhandler(Unavailable)
        def unavailable(error: Unavailable):
            app.logger.warning("dependency unavailable: %s", error)
            return jsonify(error="a service the order needs is unavailable, try again"), 503

        @app.get("/api/orders")
        def list_orders():
            return jsonify(kit.cached(cache, LIST_KEY, CACHE_SECONDS, orders.list))

        @app.get("/api/orders/<int:order_id>")
        def get_order(order_id: int):
            order = orders.get(order_id)
            if order is None:
                raise kit.ApiError(404, f"no order {order_id}")
            return jsonify(order)

        @app.post("/api/orders")
        def create_order():
            user_id, quantities = validate(kit.json_body())
            if catalogue.user(user_id) is None:
                raise kit.ApiError(422, f"no user {user_id}")
            items = []
            for product_id, quantity in sorted(quantities.items()):
                product = catalogue.product(product_id)
                if product is None:
                    raise kit.ApiError(422, f"no product {product_id}")
                items.append({"product_id": product_id, "quantity": quantity, "unit_price_cents": int(product["price_cents"])})
            order = orders.create(user_id, items)
            kit.invalidate(cache, LIST_KEY)
            return jsonify(order), 201, {"Location": f"/api/orders/{order['id']}"}

    return kit.create_app("order-service", register, checks)


def from_env() -> Flask:
    settings = kit.Settings.from_env()
    db = kit.Database(settings, SCHEMA)
    cache = kit.redis_client(settings)
    catalogue = Catalogue(
        os.environ.get("USER_SERVICE_URL", "http://user-service.backend.svc.cluster.local:5000"),
        os.environ.get("PRODUCT_SERVICE_URL", "http://product-service.backend.svc.cluster.local:5000"),
    )
    return build_app(Orders(db), catalogue, cache, {"mysql": db.ping, "redis": cache.ping})
