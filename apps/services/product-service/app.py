"""product-service: the shop's catalogue.

  GET  /api/products         the products (first 1000 by id), cached in Redis for 30 s
  GET  /api/products/<id>    one product, 404 when unknown
  POST /api/products         {"name": "...", "price_cents": 1999, "stock": 10} -> 201 with the product

Prices are whole cents (no floating point money). Run by gunicorn as `app:from_env()` (gunicorn.conf.py); tests
build the app with fakes through build_app().
"""
from flask import Flask, jsonify

import service_kit as kit

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS products (
        id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(200) NOT NULL,
        price_cents INT UNSIGNED NOT NULL,
        stock INT UNSIGNED NOT NULL DEFAULT 0,
        created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
    )"""
]
LIST_KEY = "product-service:products"
CACHE_SECONDS = 30
MAX_CENTS = 100_000_000


class Products:
    """The products table."""

    def __init__(self, db: kit.Database):
        self._db = db

    def list(self) -> list:
        return self._db.all("SELECT id, name, price_cents, stock FROM products ORDER BY id LIMIT 1000")

    def get(self, product_id: int):
        return self._db.one("SELECT id, name, price_cents, stock FROM products WHERE id = %s", (product_id,))

    def create(self, name: str, price_cents: int, stock: int) -> dict:
        conn = self._db.connection()
        with conn.cursor() as cur:
            cur.execute("INSERT INTO products (name, price_cents, stock) VALUES (%s, %s, %s)", (name, price_cents, stock))
            product_id = cur.lastrowid
        conn.commit()
        return {"id": product_id, "name": name, "price_cents": price_cents, "stock": stock}


def whole_number(body: dict, key: str, default=None, maximum: int = MAX_CENTS) -> int:
    value = body.get(key, default)
    # bool is an int in Python: refuse true/false explicitly.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise kit.ApiError(400, f"{key}: a whole number from 0 to {maximum}")
    return value


def validate(body: dict) -> tuple:
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
        raise kit.ApiError(400, "name: a string of 1 to 200 characters")
    return name.strip(), whole_number(body, "price_cents"), whole_number(body, "stock", default=0, maximum=1_000_000)


def build_app(products, cache, checks) -> Flask:
    def register(app: Flask) -> None:
        @app.get("/api/products")
        def list_products():
            return jsonify(kit.cached(cache, LIST_KEY, CACHE_SECONDS, products.list))

        @app.get("/api/products/<int:product_id>")
        def get_product(product_id: int):
            product = products.get(product_id)
            if product is None:
                raise kit.ApiError(404, f"no product {product_id}")
            return jsonify(product)

        @app.post("/api/products")
        def create_product():
            name, price_cents, stock = validate(kit.json_body())
            product = products.create(name, price_cents, stock)
            kit.invalidate(cache, LIST_KEY)
            return jsonify(product), 201, {"Location": f"/api/products/{product['id']}"}

    return kit.create_app("product-service", register, checks)


def from_env() -> Flask:
    settings = kit.Settings.from_env()
    db = kit.Database(settings, SCHEMA)
    cache = kit.redis_client(settings)
    return build_app(Products(db), cache, {"mysql": db.ping, "redis": cache.ping})
