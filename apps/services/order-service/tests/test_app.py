"""order-service against a real database: stock taken in the order's transaction (never negative, all or nothing,
exactly one winner for the last unit among 50 parallel orders), retries made safe by the Idempotency-Key, one
deadline for the whole request, and every user seeing only their own orders."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

import app as service
import service_kit as kit
from conftest import APP_DIR, add_product, add_user, closed_port, connect


def order(client, user, items, key=None):
    headers = {**user["headers"], "Idempotency-Key": key or uuid.uuid4().hex}
    return client.post("/api/orders", json={"items": items}, headers=headers)


def stock(db, product_id):
    with db.cursor() as cur:
        cur.execute("SELECT stock FROM products WHERE id = %s", (product_id,))
        return cur.fetchone()["stock"]


def count_orders(db):
    with db.cursor() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM orders")
        return cur.fetchone()["n"]


@pytest.fixture
def products(db):
    return {"lamp": add_product(db, "Desk lamp", 2499, 5), "mug": add_product(db, "Mug", 900, 2)}


def test_an_order_takes_the_stock_and_records_prices_names_and_total(client, customer, products, db):
    response = order(client, customer, [{"product_id": products["mug"], "quantity": 1}, {"product_id": products["lamp"], "quantity": 2},
                                        {"product_id": products["mug"], "quantity": 1}])
    assert response.status_code == 201
    placed = response.get_json()
    assert placed["total_cents"] == 2 * 2499 + 2 * 900
    assert placed["items"] == [
        {"product_id": products["lamp"], "product_name": "Desk lamp", "quantity": 2, "unit_price_cents": 2499},
        {"product_id": products["mug"], "product_name": "Mug", "quantity": 2, "unit_price_cents": 900},
    ]
    assert placed["created_at"].endswith("Z")
    assert (stock(db, products["lamp"]), stock(db, products["mug"])) == (3, 0)
    assert client.get(f"/api/orders/{placed['id']}", headers=customer["headers"]).get_json() == placed


def test_an_order_is_placed_whole_or_not_at_all(client, customer, products, db):
    response = order(client, customer, [{"product_id": products["lamp"], "quantity": 1}, {"product_id": products["mug"], "quantity": 3}])
    assert response.status_code == 409
    assert response.get_json()["unavailable"] == [{"product_id": products["mug"], "requested": 3, "available": 2}]
    assert (stock(db, products["lamp"]), stock(db, products["mug"])) == (5, 2), "the lamp was not taken either"
    assert count_orders(db) == 0
    unknown = order(client, customer, [{"product_id": products["lamp"], "quantity": 1}, {"product_id": 987654, "quantity": 1}])
    assert unknown.status_code == 422 and unknown.get_json()["unknown"] == [987654]
    assert stock(db, products["lamp"]) == 5 and count_orders(db) == 0


def test_fifty_parallel_orders_for_the_last_unit_exactly_one_succeeds(settings, db, sessions):
    last = add_product(db, "Last one", 1000, 1)
    buyers = [add_user(db, f"buyer{i}@example.com") for i in range(50)]
    app = service.create(settings)
    start = threading.Barrier(50)

    def buy(user_id):
        client = app.test_client()
        start.wait(10)
        return order(client, {"headers": {"Authorization": f"Bearer {sessions.issue(user_id, 'customer')}"}}, [{"product_id": last, "quantity": 1}]).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(buy, buyers, timeout=60))
    assert sorted(statuses) == [201] + [409] * 49
    assert stock(db, last) == 0 and count_orders(db) == 1


def test_concurrent_multi_item_orders_never_oversell_or_deadlock(settings, db, sessions, customer):
    a, b = add_product(db, "A", 100, 10), add_product(db, "B", 100, 10)
    app = service.create(settings)

    def buy(i):
        # Half list A first, half B first: the row locks are still taken in id order.
        items = [{"product_id": a, "quantity": 1}, {"product_id": b, "quantity": 1}]
        return order(app.test_client(), customer, items if i % 2 else items[::-1]).status_code

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(buy, range(16), timeout=60))
    assert sorted(statuses) == [201] * 10 + [409] * 6
    assert (stock(db, a), stock(db, b)) == (0, 0)


def test_a_retry_with_the_same_key_returns_the_first_order(client, customer, products, db):
    key = uuid.uuid4().hex
    items = [{"product_id": products["lamp"], "quantity": 2}]
    first = order(client, customer, items, key)
    again = order(client, customer, items, key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert again.get_json() == first.get_json()
    assert stock(db, products["lamp"]) == 3 and count_orders(db) == 1
    reused = order(client, customer, [{"product_id": products["lamp"], "quantity": 1}], key)
    assert reused.status_code == 422 and "Idempotency-Key" in reused.get_json()["error"]


def test_simultaneous_retries_place_one_order(settings, customer, products, db):
    app = service.create(settings)
    key = uuid.uuid4().hex
    start = threading.Barrier(4)

    def send(_):
        client = app.test_client()
        start.wait(10)
        response = order(client, customer, [{"product_id": products["lamp"], "quantity": 1}], key)
        return response.status_code, response.get_json()["id"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(send, range(4), timeout=60))
    assert {status for status, _ in results} == {201} and len({order_id for _, order_id in results}) == 1
    assert stock(db, products["lamp"]) == 4 and count_orders(db) == 1


def test_keys_are_per_user(client, customer, products, db, sessions):
    other = {"headers": {"Authorization": f"Bearer {sessions.issue(add_user(db, 'other@example.com'), 'customer')}"}}
    key = uuid.uuid4().hex
    assert order(client, customer, [{"product_id": products["lamp"], "quantity": 1}], key).status_code == 201
    assert order(client, other, [{"product_id": products["lamp"], "quantity": 1}], key).status_code == 201
    assert count_orders(db) == 2


def test_an_order_that_cannot_finish_before_the_deadline_is_not_placed(settings, customer, products, db):
    client = service.create(settings, deadline_seconds=1.0).test_client()
    # Another transaction holds the lamp's row, longer than the order may wait.
    holder = connect(settings)
    with holder.cursor() as cur:
        cur.execute("SELECT stock FROM products WHERE id = %s FOR UPDATE", (products["lamp"],))
    # Without the deadline the order would wait for the lock (50 s by default) and then fail with a 503.
    response = order(client, customer, [{"product_id": products["lamp"], "quantity": 1}])
    holder.rollback()
    holder.close()
    assert response.status_code == 504 and "same Idempotency-Key" in response.get_json()["error"]
    assert count_orders(db) == 0 and stock(db, products["lamp"]) == 5


def test_the_deadline_counts_from_when_nginx_received_the_order(client, customer, products, db):
    items = [{"product_id": products["lamp"], "quantity": 1}]
    late = client.post("/api/orders", json={"items": items}, headers={**customer["headers"], "Idempotency-Key": uuid.uuid4().hex,
                                                                         "X-Request-Start": f"t={time.time() - service.DEADLINE_SECONDS - 0.1:.3f}"})
    assert late.status_code == 504 and count_orders(db) == 0
    # A start in the future (a clock ahead) counts as now; a malformed header is ignored: both are placed.
    for start in (f"t={time.time() + 60:.3f}", "t=soon", f"{time.time():.3f}"):
        placed = client.post("/api/orders", json={"items": items}, headers={**customer["headers"], "Idempotency-Key": uuid.uuid4().hex, "X-Request-Start": start})
        assert placed.status_code == 201, start
    assert count_orders(db) == 3


GUNICORN_DEADLINE = 0.5


@pytest.fixture
def gunicorn(settings, tmp_path):
    """order-service under gunicorn as its image runs it (gunicorn.conf.py: one worker with 4 threads), with a
    short deadline (GUNICORN_DEADLINE); its URL."""
    port = closed_port()
    env = {**os.environ, "PORT": str(port), "DB_HOST": settings.db_host, "DB_PORT": str(settings.db_port), "DB_NAME": settings.db_name,
           "DB_USER": settings.db_user, "DB_PASSWORD": settings.db_password, "REDIS_HOST": settings.redis_host,
           "REDIS_PORT": str(settings.redis_port), "REDIS_PASSWORD": settings.redis_password or "", "SESSION_KEY": settings.session_key}
    log = open(tmp_path / "gunicorn.log", "w")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
                               f"app:from_env(deadline_seconds={GUNICORN_DEADLINE})"], cwd=APP_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if urllib.request.urlopen(f"{url}/readyz", timeout=1).status == 200:
                    break
            except OSError:
                assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
                time.sleep(0.05)
        yield url
    finally:
        server.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown (TERM waits for the graceful timeout)
        server.wait(20)
        log.close()


def post_order(url, user, product_id):
    """An order as the frontend's nginx forwards it (proxy.conf: X-Request-Start "t=$msec"): (status, body)."""
    request = urllib.request.Request(f"{url}/api/orders", method="POST", data=json.dumps({"items": [{"product_id": product_id, "quantity": 1}]}).encode(),
                                     headers={**user["headers"], "Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex,
                                              "X-Request-Start": f"t={time.time():.3f}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def waiting_for_the_table(db) -> int:
    """The connections of the service's user that wait for a table lock (its own processes are visible to it)."""
    with db.cursor() as cur:
        cur.execute("SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = DATABASE() AND state LIKE 'Waiting for table%%lock'")
        return cur.fetchone()["n"]


def test_an_order_queued_for_a_thread_past_its_deadline_is_refused_and_not_placed(gunicorn, customer, products, db, settings):
    # Another session holds the products table; four orders take gunicorn's four threads, waiting for it.
    holder = connect(settings)
    try:
        with holder.cursor() as cur:
            cur.execute("LOCK TABLES products WRITE")
        with ThreadPoolExecutor(max_workers=5) as pool:
            blockers = [pool.submit(post_order, gunicorn, customer, products["lamp"]) for _ in range(4)]
            for _ in range(500):
                if waiting_for_the_table(db) == 4:
                    break
                time.sleep(0.01)
            assert waiting_for_the_table(db) == 4, "the four threads wait for the table"
            # One more order queues for a thread, and its deadline passes while it waits. Counted from when a thread
            # took it, it would be placed once the lock is gone.
            queued = pool.submit(post_order, gunicorn, customer, products["lamp"])
            time.sleep(GUNICORN_DEADLINE + 0.2)
            with holder.cursor() as cur:
                cur.execute("UNLOCK TABLES")
            assert [b.result(10)[0] for b in blockers] == [504] * 4, "past their deadline when the lock went"
            status, body = queued.result(10)
    finally:
        holder.close()
    assert status == 504 and "same Idempotency-Key" in body["error"]
    assert count_orders(db) == 0 and stock(db, products["lamp"]) == 5


@pytest.mark.parametrize("items, message", [
    ([], "a list of 1 to 50"),
    ([{"product_id": 1, "quantity": 1}] * 51, "a list of 1 to 50"),
    ([{"product_id": 1, "quantity": 0}], "items[].quantity"),
    ([{"product_id": 1, "quantity": 101}], "items[].quantity"),
    ([{"product_id": 1, "quantity": 60}, {"product_id": 1, "quantity": 41}], "repeated items count together"),
    ([{"product_id": 1, "quantity": True}], "items[].quantity"),
    ([{"product_id": "1", "quantity": 1}], "items[].product_id"),
    (["1"], "{product_id, quantity} object"),
], ids=["empty", "too many lines", "zero", "over the cap", "repeated over the cap", "a boolean", "a string id", "not an object"])
def test_bad_orders_are_refused_before_anything_is_taken(client, customer, items, message, db):
    response = order(client, customer, items)
    assert response.status_code == 400 and message in response.get_json()["error"]
    assert count_orders(db) == 0


def test_an_order_needs_a_signed_in_user_and_an_idempotency_key(client, customer, products):
    items = {"items": [{"product_id": products["lamp"], "quantity": 1}]}
    assert client.post("/api/orders", json=items, headers={"Idempotency-Key": uuid.uuid4().hex}).status_code == 401
    for key in (None, "short", "x" * 65, "has space inside"):
        headers = {**customer["headers"], **({"Idempotency-Key": key} if key else {})}
        response = client.post("/api/orders", json=items, headers=headers)
        assert response.status_code == 400 and "Idempotency-Key" in response.get_json()["error"]
    spoofed = client.post("/api/orders", json={**items, "user_id": 1}, headers={**customer["headers"], "Idempotency-Key": uuid.uuid4().hex})
    assert spoofed.status_code == 400 and "signed-in user" in spoofed.get_json()["error"]


def test_a_signed_out_or_deleted_users_token_neither_orders_nor_reads_orders(client, customer, products, db):
    assert order(client, customer, [{"product_id": products["lamp"], "quantity": 1}]).status_code == 201
    with db.cursor() as cur:
        cur.execute("UPDATE users SET session_version = session_version + 1 WHERE id = %s", (customer["id"],))
    assert order(client, customer, [{"product_id": products["lamp"], "quantity": 1}]).status_code == 401
    assert client.get("/api/orders", headers=customer["headers"]).status_code == 401
    with db.cursor() as cur:
        cur.execute("DELETE FROM users WHERE id = %s", (customer["id"],))
    assert client.get("/api/orders", headers=customer["headers"]).status_code == 401
    assert stock(db, products["lamp"]) == 4 and count_orders(db) == 1


def test_users_see_only_their_own_orders_newest_first_in_pages(client, customer, products, db, sessions):
    other = {"headers": {"Authorization": f"Bearer {sessions.issue(add_user(db, 'other@example.com'), 'customer')}"}}
    mine = [order(client, customer, [{"product_id": products["lamp"], "quantity": 1}]).get_json()["id"] for _ in range(3)]
    theirs = order(client, other, [{"product_id": products["mug"], "quantity": 1}]).get_json()["id"]
    first = client.get("/api/orders?limit=2", headers=customer["headers"]).get_json()
    assert [o["id"] for o in first["items"]] == [mine[2], mine[1]] and first["next"] == mine[1]
    rest = client.get(f"/api/orders?limit=2&after={first['next']}", headers=customer["headers"]).get_json()
    assert [o["id"] for o in rest["items"]] == [mine[0]] and rest["next"] is None
    assert rest["items"][0]["items"][0]["product_name"] == "Desk lamp"
    assert client.get(f"/api/orders/{theirs}", headers=customer["headers"]).status_code == 404
    assert client.get("/api/orders").status_code == 401


def test_an_order_bumps_the_product_pages_cache(client, customer, products, settings):
    cache = redis.Redis(host=settings.redis_host, port=settings.redis_port, password=settings.redis_password, db=settings.redis_db)
    before = int(cache.get(kit.PRODUCTS_GENERATION) or 0)
    order(client, customer, [{"product_id": products["lamp"], "quantity": 1}])
    assert int(cache.get(kit.PRODUCTS_GENERATION)) == before + 1
    cache.close()


def test_order_outcomes_are_counted(client, customer, products):
    order(client, customer, [{"product_id": products["mug"], "quantity": 99}])
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'shop_orders_total{outcome="out_of_stock"}' in metrics and 'shop_orders_total{outcome="placed"}' in metrics
