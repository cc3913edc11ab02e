"""order-service: the shop's orders. Every endpoint is for a signed-in user, who sees only their own orders.

  POST /api/orders          {"items": [{"product_id": 2, "quantity": 3}]} with an `Idempotency-Key` header (8 to 64
                            letters, digits, - or _; a new one per order, the same one for its retries) -> 201 the
                            order; 409 when a product has too little stock (nothing is ordered), 422 for an unknown
                            product or a key reused with another order, 504 when the order could not be completed
                            in time (nothing is ordered: retry with the same key)
  GET  /api/orders          my orders, newest first, paged (?limit=&after=) -> {"items": [...], "next": ...}
  GET  /api/orders/<id>     one of my orders with its items (404 for anybody else's)

Correct under concurrency: one database transaction records the order and takes the stock, with the products'
rows locked in id order (SELECT ... FOR UPDATE), so stock never goes below zero, two orders for the last unit
cannot both succeed, and a multi-item order is placed whole or not at all. The request has one deadline
(DEADLINE_SECONDS, well inside the frontend proxy's 15 s and the load balancer's 60 s), counted from when the
frontend's nginx received it (X-Request-Start, kit.request_age), so the time it waited for a gunicorn thread counts:
the transaction is committed only before it, so a client that gave up never finds its order placed after all. A
retry with the same key returns the order placed by the first attempt (header `Idempotent-Replayed: true`).
Run by gunicorn as `app:from_env()` (gunicorn.conf.py); tests build the app with create(settings).
"""
import hashlib
import json
import re
import time

import pymysql
from flask import Flask, jsonify, request
from prometheus_client import Counter

import migrate
import service_kit as kit
from sessions import Sessions

SERVICE = "order-service"
# users: every request reads the signed-in account (sessions.py).
TABLES = ("orders", "order_items", "products", "users")
DEADLINE_SECONDS = 5.0
MAX_LINES = 50
# Per product and order, after repeated items are added up.
MAX_QUANTITY = 100
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")
DEADLOCK_RETRIES = 2
ORDERS = Counter("shop_orders_total", "Order requests by outcome", ["outcome"])
OUTCOMES = ("placed", "replayed", "out_of_stock", "unknown_product", "key_reused", "timed_out")
for _outcome in OUTCOMES:
    ORDERS.labels(_outcome)
TIMED_OUT = "the order could not be completed in time and was not placed: try again with the same Idempotency-Key"


class DeadlineExceeded(Exception):
    pass


class KeyReused(kit.ApiError):
    def __init__(self):
        super().__init__(422, "this Idempotency-Key was used for another order: use a new key for a new order")


class Deadline:
    def __init__(self, seconds: float, age: float = 0.0):
        """`seconds` from when the request started, `age` seconds ago."""
        self._at = time.monotonic() + seconds - age

    def remaining(self) -> float:
        return self._at - time.monotonic()

    def check(self) -> None:
        if self.remaining() <= 0:
            raise DeadlineExceeded()


def iso(row: dict) -> dict:
    """created_at as ISO 8601 in UTC (the connection's time zone)."""
    return {**row, "created_at": row["created_at"].strftime("%Y-%m-%dT%H:%M:%SZ")}


def fingerprint(quantities: dict) -> str:
    return hashlib.sha256(json.dumps(sorted(quantities.items())).encode()).hexdigest()


class Orders:
    """The orders and order_items tables, and the products' stock."""

    def __init__(self, db: kit.Database):
        self._db = db

    def _with_items(self, orders: list) -> list:
        if not orders:
            return []
        ids = [o["id"] for o in orders]
        rows = self._db.all(
            f"SELECT order_id, product_id, product_name, quantity, unit_price_cents FROM order_items "
            f"WHERE order_id IN ({', '.join(['%s'] * len(ids))}) ORDER BY order_id, product_id",
            tuple(ids),
        )
        items = {}
        for r in rows:
            items.setdefault(r.pop("order_id"), []).append(r)
        return [{**iso(o), "items": items.get(o["id"], [])} for o in orders]

    def page(self, user_id: int, page: kit.Page) -> list:
        orders = self._db.all(
            "SELECT id, total_cents, created_at FROM orders WHERE user_id = %s AND id < %s ORDER BY id DESC LIMIT %s",
            (user_id, page.after or 2**63, page.limit + 1),
        )
        return self._with_items(orders)

    def get(self, user_id: int, order_id: int):
        order = self._db.one("SELECT id, total_cents, created_at FROM orders WHERE id = %s AND user_id = %s", (order_id, user_id))
        return self._with_items([order])[0] if order else None

    def place(self, user_id: int, key: str, quantities: dict, deadline: Deadline) -> tuple:
        """(the order, whether it was placed by an earlier request with this key)."""
        digest = fingerprint(quantities)
        conn = self._db.connection()
        for attempt in range(DEADLOCK_RETRIES + 1):
            try:
                order = self._transaction(conn, user_id, key, digest, quantities, deadline)
            except pymysql.err.OperationalError as error:
                _rollback(conn)
                if error.args[0] == kit.ER_LOCK_DEADLOCK and attempt < DEADLOCK_RETRIES and deadline.remaining() > 0:
                    continue
                if error.args[0] == kit.ER_LOCK_WAIT_TIMEOUT:
                    raise DeadlineExceeded() from error
                raise
            except BaseException:
                _rollback(conn)
                raise
            if order is not None:
                return order, False
            # The key is taken: the order of the earlier request, once it committed (its row lock made us wait).
            earlier = self._db.one("SELECT id, request_sha256 FROM orders WHERE user_id = %s AND idempotency_key = %s", (user_id, key))
            if earlier is None:
                continue  # the earlier request rolled back meanwhile: place this one
            if earlier["request_sha256"] != digest:
                raise KeyReused()
            return self.get(user_id, earlier["id"]), True
        raise DeadlineExceeded()

    def _transaction(self, conn, user_id: int, key: str, digest: str, quantities: dict, deadline: Deadline):
        """Places the order in one transaction; None when the key is taken (rolled back)."""
        deadline.check()
        with conn.cursor() as cur:
            # No lock wait may outlast the request's deadline (whole seconds, at least 1).
            cur.execute("SET SESSION innodb_lock_wait_timeout = %s", (max(1, int(deadline.remaining())),))
            try:
                cur.execute("INSERT INTO orders (user_id, total_cents, idempotency_key, request_sha256) VALUES (%s, 0, %s, %s)", (user_id, key, digest))
            except pymysql.err.IntegrityError as error:
                if error.args[0] != kit.ER_DUP_ENTRY:
                    raise
                conn.rollback()
                return None
            order_id = cur.lastrowid
            ids = sorted(quantities)
            # The rows stay locked until commit; in id order, so concurrent orders never deadlock on each other.
            cur.execute(f"SELECT id, name, price_cents, stock FROM products WHERE id IN ({', '.join(['%s'] * len(ids))}) ORDER BY id FOR UPDATE", tuple(ids))
            products = {p["id"]: p for p in cur.fetchall()}
            unknown = [i for i in ids if i not in products]
            if unknown:
                ORDERS.labels("unknown_product").inc()
                raise kit.ApiError(422, f"no product {', '.join(map(str, unknown))}", unknown=unknown)
            short = [{"product_id": i, "requested": quantities[i], "available": products[i]["stock"]} for i in ids if products[i]["stock"] < quantities[i]]
            if short:
                ORDERS.labels("out_of_stock").inc()
                raise kit.ApiError(409, "not enough stock: nothing was ordered", unavailable=short)
            cur.executemany("UPDATE products SET stock = stock - %s WHERE id = %s", [(quantities[i], i) for i in ids])
            items = [{"product_id": i, "product_name": products[i]["name"], "quantity": quantities[i], "unit_price_cents": products[i]["price_cents"]} for i in ids]
            cur.executemany(
                "INSERT INTO order_items (order_id, product_id, product_name, quantity, unit_price_cents) VALUES (%s, %s, %s, %s, %s)",
                [(order_id, i["product_id"], i["product_name"], i["quantity"], i["unit_price_cents"]) for i in items],
            )
            total = sum(i["quantity"] * i["unit_price_cents"] for i in items)
            cur.execute("UPDATE orders SET total_cents = %s WHERE id = %s", (total, order_id))
            cur.execute("SELECT created_at FROM orders WHERE id = %s", (order_id,))
            created = cur.fetchone()
            # The last moment to give up: after the commit the order exists.
            deadline.check()
        conn.commit()
        return iso({"id": order_id, "total_cents": total, "created_at": created["created_at"], "items": items})


def _rollback(conn) -> None:
    try:
        conn.rollback()
    except pymysql.err.Error:
        pass  # a lost connection: the server rolls back by itself


def validate(body: dict) -> dict:
    """{product_id: quantity} with repeated products added up (and the cap applied to the sum)."""
    unknown = sorted(set(body) - {"items"})
    if unknown:
        raise kit.ApiError(400, f"unknown fields: {', '.join(unknown)} (an order has items; the buyer is the signed-in user)")
    items = body.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_LINES:
        raise kit.ApiError(400, f"items: a list of 1 to {MAX_LINES} {{product_id, quantity}} objects")
    quantities = {}
    for item in items:
        if not isinstance(item, dict):
            raise kit.ApiError(400, "items: each item is a {product_id, quantity} object")
        product_id = kit.positive(item.get("product_id"), "items[].product_id", 2**63 - 1)
        quantities[product_id] = quantities.get(product_id, 0) + kit.positive(item.get("quantity"), "items[].quantity", MAX_QUANTITY)
    over = sorted(p for p, q in quantities.items() if q > MAX_QUANTITY)
    if over:
        raise kit.ApiError(400, f"items: at most {MAX_QUANTITY} of a product per order (repeated items count together): product {', '.join(map(str, over))}")
    return quantities


def idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key")
    if key is None or not IDEMPOTENCY_KEY.fullmatch(key):
        raise kit.ApiError(400, "send an Idempotency-Key header: 8 to 64 letters, digits, - or _ (a new one per order, the same one when retrying it)")
    return key


def build_app(orders: Orders, sessions: Sessions, cache: kit.Cache, checks, deadline_seconds: float = DEADLINE_SECONDS) -> Flask:
    def register(app: Flask) -> None:
        @app.errorhandler(DeadlineExceeded)
        def timed_out(_error):
            ORDERS.labels("timed_out").inc()
            return jsonify(error=TIMED_OUT), 504

        @app.get("/api/orders")
        def list_orders():
            caller = sessions.caller()
            page = kit.page_args()
            return jsonify(kit.paged(orders.page(caller.user_id, page), page))

        @app.get("/api/orders/<int:order_id>")
        def get_order(order_id: int):
            caller = sessions.caller()
            order = orders.get(caller.user_id, order_id)
            if order is None:
                raise kit.ApiError(404, f"you have no order {order_id}")
            return jsonify(order)

        @app.post("/api/orders")
        def create_order():
            # From when the frontend's nginx received the order: time queued for a thread counts. Past it already,
            # nothing is looked at (a client that gave up must not find the order placed later).
            deadline = Deadline(deadline_seconds, kit.request_age())
            deadline.check()
            caller = sessions.caller()
            key = idempotency_key()
            quantities = validate(kit.json_body())
            try:
                order, replayed = orders.place(caller.user_id, key, quantities, deadline)
            except KeyReused:
                ORDERS.labels("key_reused").inc()
                raise
            ORDERS.labels("replayed" if replayed else "placed").inc()
            if not replayed:
                cache.bump(kit.PRODUCTS_GENERATION)
            headers = {"Location": f"/api/orders/{order['id']}"}
            if replayed:
                headers["Idempotent-Replayed"] = "true"
            return jsonify(order), 201, headers

    return kit.create_app(SERVICE, register, checks)


def create(settings: kit.Settings, deadline_seconds: float = DEADLINE_SECONDS) -> Flask:
    # The driver waits a little longer than the deadline, so a lock wait ends on the server (a clean error) first.
    db = kit.Database(settings, read_timeout=deadline_seconds + 2)
    cache = kit.Cache(kit.redis_client(settings), SERVICE)
    checks = {"mysql": lambda: migrate.check(db, TABLES)}
    return build_app(Orders(db), Sessions(settings.session_key, db), cache, checks, deadline_seconds)


def from_env(deadline_seconds: float = DEADLINE_SECONDS):
    return create(kit.Settings.from_env(), deadline_seconds)
