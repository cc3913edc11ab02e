"""product-service: the shop's catalogue.

  GET   /api/products          the products by id, paged (?limit=1..100, default 20; ?after=<next of the previous
                               page>) -> {"items": [...], "next": <id> or null}; each page cached in Redis for 30 s
  GET   /api/products/<id>     one product (its current stock, never cached), 404 when unknown
  POST  /api/products          administrators: {"name", "price_cents", "stock"} -> 201 the product
  PATCH /api/products/<id>     administrators: any of {"name", "price_cents", "stock"} -> the product

Prices are whole cents (no floating point money). order-service takes stock off in the same transaction as the
order, and bumps the cache generation (kit.PRODUCTS_GENERATION) so no page shows the old stock for long. Run by
gunicorn as `app:from_env()` (gunicorn.conf.py); tests build the app with create(settings).
"""
from flask import Flask, jsonify

import migrate
import service_kit as kit
from sessions import Sessions

SERVICE = "product-service"
# users: every signed-in request reads the account (sessions.py).
TABLES = ("products", "users")
CACHE_SECONDS = 30
MAX_CENTS = 100_000_000
MAX_STOCK = 1_000_000
COLUMNS = "id, name, price_cents, stock"


class Products:
    """The products table."""

    def __init__(self, db: kit.Database):
        self._db = db

    def page(self, page: kit.Page) -> list:
        return self._db.all(f"SELECT {COLUMNS} FROM products WHERE id > %s ORDER BY id LIMIT %s", (page.after or 0, page.limit + 1))

    def get(self, product_id: int):
        return self._db.one(f"SELECT {COLUMNS} FROM products WHERE id = %s", (product_id,))

    def create(self, name: str, price_cents: int, stock: int) -> dict:
        conn = self._db.connection()
        with conn.cursor() as cur:
            cur.execute("INSERT INTO products (name, price_cents, stock) VALUES (%s, %s, %s)", (name, price_cents, stock))
            product_id = cur.lastrowid
        conn.commit()
        return {"id": product_id, "name": name, "price_cents": price_cents, "stock": stock}

    def update(self, product_id: int, changes: dict):
        """The product after the changes, or None when there is no such product."""
        conn = self._db.connection()
        with conn.cursor() as cur:
            # Column names come from the validated keys only, never from the request.
            assignments = ", ".join(f"{column} = %s" for column in changes)
            cur.execute(f"UPDATE products SET {assignments} WHERE id = %s", (*changes.values(), product_id))
            cur.execute(f"SELECT {COLUMNS} FROM products WHERE id = %s", (product_id,))
            product = cur.fetchone()
        conn.commit()
        return product


def whole_number(body: dict, key: str, maximum: int) -> int:
    value = body.get(key)
    # bool is an int in Python: refuse true/false explicitly.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise kit.ApiError(400, f"{key}: a whole number from 0 to {maximum}")
    return value


FIELDS = {
    "name": lambda body: kit.text(body, "name", 200),
    "price_cents": lambda body: whole_number(body, "price_cents", MAX_CENTS),
    "stock": lambda body: whole_number(body, "stock", MAX_STOCK),
}


def validate(body: dict, partial: bool = False) -> dict:
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise kit.ApiError(400, f"unknown fields: {', '.join(unknown)} (a product has {', '.join(FIELDS)})")
    if not partial and "stock" not in body:
        body = {**body, "stock": 0}
    present = [key for key in FIELDS if key in body] if partial else list(FIELDS)
    if partial and not present:
        raise kit.ApiError(400, f"nothing to change: send any of {', '.join(FIELDS)}")
    return {key: FIELDS[key](body) for key in present}


def build_app(products: Products, sessions: Sessions, cache: kit.Cache, checks) -> Flask:
    def register(app: Flask) -> None:
        @app.get("/api/products")
        def list_products():
            page = kit.page_args()
            generation = cache.generation(kit.PRODUCTS_GENERATION)
            load = lambda: kit.paged(products.page(page), page)  # noqa: E731
            if generation is None:
                return jsonify(load())
            key = f"product-service:products:{generation}:{page.limit}:{page.after or 0}"
            return jsonify(kit.cached(cache, key, CACHE_SECONDS, load))

        @app.get("/api/products/<int:product_id>")
        def get_product(product_id: int):
            product = products.get(product_id)
            if product is None:
                raise kit.ApiError(404, f"no product {product_id}")
            return jsonify(product)

        @app.post("/api/products")
        def create_product():
            sessions.admin()
            fields = validate(kit.json_body())
            product = products.create(fields["name"], fields["price_cents"], fields["stock"])
            cache.bump(kit.PRODUCTS_GENERATION)
            return jsonify(product), 201, {"Location": f"/api/products/{product['id']}"}

        @app.patch("/api/products/<int:product_id>")
        def update_product(product_id: int):
            sessions.admin()
            product = products.update(product_id, validate(kit.json_body(), partial=True))
            if product is None:
                raise kit.ApiError(404, f"no product {product_id}")
            cache.bump(kit.PRODUCTS_GENERATION)
            return jsonify(product)

    return kit.create_app(SERVICE, register, checks)


def create(settings: kit.Settings) -> Flask:
    db = kit.Database(settings)
    cache = kit.Cache(kit.redis_client(settings), SERVICE)
    # Readiness is MySQL only (reachable, schema migrated): without Redis the catalogue is served uncached.
    return build_app(Products(db), Sessions(settings.session_key, db), cache, {"mysql": lambda: migrate.check(db, TABLES)})


def from_env() -> Flask:
    return create(kit.Settings.from_env())
