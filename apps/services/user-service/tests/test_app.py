"""user-service against a real database and Redis: accounts, strict e-mail addresses in one canonical form, argon2id
passwords, signed sessions, and nobody seeing another user's account."""
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

import app as service
from conftest import add_user, closed_port

ALICE = {"name": "Alice", "email": "alice@example.com", "password": "correct horse battery"}


def register(client, **fields):
    return client.post("/api/users", json={**ALICE, **fields})


def sign_in(client, email="alice@example.com", password=ALICE["password"], headers=None):
    return client.post("/api/users/sessions", json={"email": email, "password": password}, headers=headers or {})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_register_then_sign_in_then_see_my_account(client, db):
    created = register(client)
    assert created.status_code == 201
    user = created.get_json()
    assert user == {"id": user["id"], "name": "Alice", "email": "alice@example.com", "role": "customer"}
    assert created.headers["Location"] == f"/api/users/{user['id']}"
    with db.cursor() as cur:
        cur.execute("SELECT password_hash FROM users WHERE id = %s", (user["id"],))
        stored = cur.fetchone()["password_hash"]
    assert stored.startswith("$argon2id$") and ALICE["password"] not in stored

    session = sign_in(client)
    assert session.status_code == 201
    body = session.get_json()
    assert body["user"] == user and body["expires_in"] == 12 * 3600
    me = client.get("/api/users/me", headers=bearer(body["token"]))
    assert (me.status_code, me.get_json()) == (200, user)


@pytest.mark.parametrize("email", [
    "alice@example.com\n", "alice@example.com ", " alice@example.com", "alice@@example.com", "alice@example", "alice",
    "alice@example.com\nbob@example.com", "al ice@example.com", ".alice@example.com", "alice.@example.com",
    "al..ice@example.com", "alice@-example.com", "alice@example.c", "alice@exa_mple.com", "älice@example.com",
    "a" * 65 + "@example.com", "alice@" + "a" * 250 + ".com", "", 42, None,
])
def test_an_address_that_is_not_exactly_one_email_address_is_refused(client, email):
    response = register(client, email=email)
    assert response.status_code == 400 and "email" in response.get_json()["error"]


def test_one_mailbox_is_one_account_whatever_the_case(client):
    assert register(client, email="Alice@Example.COM").get_json()["email"] == "alice@example.com"
    again = register(client, email="alice@example.com")
    assert again.status_code == 409 and "sign in" in again.get_json()["error"]
    assert sign_in(client, email="ALICE@example.com").status_code == 201


def test_names_and_passwords_are_checked(client):
    for fields, what in [({"name": " "}, "name"), ({"name": "a\x00b"}, "name"), ({"name": "a\x7fb"}, "name"), ({"name": "\u202eevil"}, "name"), ({"name": "a\ud800"}, "name"), ({"name": "x" * 101}, "name"),
                         ({"password": "short"}, "password"), ({"password": "x" * 129}, "password"), ({"password": 1234567890}, "password")]:
        response = register(client, **fields)
        assert response.status_code == 400 and what in response.get_json()["error"], fields


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(client):
    register(client)
    wrong = sign_in(client, password="not the password")
    unknown = sign_in(client, email="nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json() == {"error": "wrong e-mail address or password"}


def test_an_account_without_a_password_cannot_sign_in(client, db):
    # Accounts from before the accounts migration have no password hash.
    add_user(db, "old@example.com")
    assert sign_in(client, email="old@example.com", password="anything at all").status_code == 401


def from_client(address):
    # As the frontend's nginx sends it: the one client address it vouches for (kit.client_address).
    return {"X-Forwarded-For": address}


GUESSER, OWNER = "203.0.113.7", "198.51.100.9"


def test_a_guesser_exhausts_only_its_own_allowance_not_the_owners(client):
    register(client)
    for _ in range(service.THROTTLE.per_client):
        assert sign_in(client, password="guessing wrong", headers=from_client(GUESSER)).status_code == 401
    locked = sign_in(client, headers=from_client(GUESSER))
    assert locked.status_code == 429, "even the right password, from the guesser"
    assert 0 < int(locked.headers["Retry-After"]) <= service.THROTTLE.window
    # An address the guesser writes in front of its own does not count: the last one (nginx's) does.
    assert sign_in(client, headers=from_client(f"{OWNER}, {GUESSER}")).status_code == 429
    assert sign_in(client, headers=from_client(OWNER)).status_code == 201, "the owner still signs in"
    assert sign_in(client, email="someone.else@example.com", headers=from_client(GUESSER)).status_code == 401, "other addresses are not locked"


def test_parallel_guesses_get_exactly_the_allowance_checked(settings):
    app = service.create(settings)
    app.test_client().post("/api/users", json=ALICE)
    start = threading.Barrier(100)

    def guess(_):
        client = app.test_client()
        start.wait(10)
        return sign_in(client, password="guessing wrong", headers=from_client(GUESSER)).status_code

    with ThreadPoolExecutor(max_workers=100) as pool:
        statuses = list(pool.map(guess, range(100), timeout=60))
    assert sorted(statuses) == [401] * service.THROTTLE.per_client + [429] * (100 - service.THROTTLE.per_client)


def test_many_guessers_reach_the_ceiling_of_the_address_and_a_success_takes_its_attempt_back(settings):
    client = service.create(settings, service.Throttle(per_client=2, per_address=5, window=60)).test_client()
    register(client)
    for _ in range(2):
        assert sign_in(client, password="a typo", headers=from_client(OWNER)).status_code == 401
        assert sign_in(client, headers=from_client(OWNER)).status_code == 201, "each success gives the owner's allowance back"
    statuses = [sign_in(client, password="guessing wrong", headers=from_client(f"203.0.113.{i // 2}")).status_code for i in range(4)]
    assert statuses == [401] * 3 + [429], "the owner's two typos and three guesses from two clients reach the ceiling"
    assert sign_in(client, headers=from_client("192.0.2.1")).status_code == 429, "then it is closed for everybody until the window ends"


def test_users_see_only_their_own_account_and_only_admins_list_accounts(client, settings):
    alice = register(client).get_json()
    bob = register(client, name="Bob", email="bob@example.com").get_json()
    alice_token = sign_in(client).get_json()["token"]
    assert client.get(f"/api/users/{alice['id']}", headers=bearer(alice_token)).status_code == 200
    assert client.get(f"/api/users/{bob['id']}", headers=bearer(alice_token)).status_code == 404
    assert client.get("/api/users", headers=bearer(alice_token)).status_code == 403
    assert client.get("/api/users").status_code == 401
    assert client.get("/api/users/me").status_code == 401
    assert client.get("/api/users/me", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/api/users/me", headers=bearer("forged.token.value")).status_code == 401

    assert service.grant_admin(settings, "alice@example.com") == "customer"
    admin_token = sign_in(client).get_json()["token"]
    first = client.get("/api/users?limit=1", headers=bearer(admin_token)).get_json()
    assert [u["email"] for u in first["items"]] == ["alice@example.com"] and first["next"] == alice["id"]
    second = client.get(f"/api/users?limit=1&after={first['next']}", headers=bearer(admin_token)).get_json()
    assert [u["email"] for u in second["items"]] == ["bob@example.com"] and second["next"] is None
    assert "password_hash" not in str(first) + str(second)


def test_signing_out_ends_every_session_of_the_account_on_the_server(client, db):
    register(client)
    phone, laptop = sign_in(client).get_json()["token"], sign_in(client).get_json()["token"]
    assert client.delete("/api/users/sessions").status_code == 401
    assert client.delete("/api/users/sessions", headers=bearer(phone)).status_code == 204
    for token in (phone, laptop):
        ended = client.get("/api/users/me", headers=bearer(token))
        assert ended.status_code == 401 and "signed out" in ended.get_json()["error"]
        assert client.delete("/api/users/sessions", headers=bearer(token)).status_code == 401
    again = sign_in(client).get_json()["token"]
    assert client.get("/api/users/me", headers=bearer(again)).status_code == 200


def test_an_administrators_role_counts_as_it_is_now_not_as_it_was_at_sign_in(client, settings):
    register(client)
    service.grant_admin(settings, "alice@example.com")
    token = sign_in(client).get_json()["token"]
    assert client.get("/api/users", headers=bearer(token)).status_code == 200
    assert service.account_command(settings, "revoke-admin", "alice@example.com") == "admin"
    demoted = client.get("/api/users", headers=bearer(token))
    assert demoted.status_code == 403, "a demoted administrator's token no longer lists the accounts"
    assert client.get("/api/users/me", headers=bearer(token)).get_json()["role"] == "customer"
    assert service.account_command(settings, "sign-out", "alice@example.com") == "customer"
    assert client.get("/api/users/me", headers=bearer(token)).status_code == 401, "the operator's sign-out ends it"


def test_a_deleted_accounts_token_is_refused(client, db):
    register(client)
    token = sign_in(client).get_json()["token"]
    with db.cursor() as cur:
        cur.execute("DELETE FROM users WHERE email = 'alice@example.com'")
    response = client.get("/api/users/me", headers=bearer(token))
    assert response.status_code == 401 and "no longer exists" in response.get_json()["error"]


def test_grant_admin_names_a_missing_account(settings):
    assert service.grant_admin(settings, "nobody@example.com") is None


def test_the_service_works_without_redis(settings):
    client = service.create(replace(settings, redis_port=closed_port())).test_client()
    assert register(client).status_code == 201
    assert sign_in(client).status_code == 201
    assert client.get("/readyz").status_code == 200
