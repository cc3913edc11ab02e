"""user-service: the shop's accounts and sign-in.

  POST /api/users            {"name", "email", "password"} -> 201 the account; 409 when the e-mail is taken
  POST /api/users/sessions   {"email", "password"} -> 201 {"token", "expires_in", "user"}; 401 for wrong credentials,
                             429 after too many failed attempts for one address (from one client, or from all: Throttle)
  DELETE /api/users/sessions  signs out: ends every session of the signed-in account (204)
  GET  /api/users/me         the signed-in account
  GET  /api/users/<id>       one account: your own, or any for an administrator (404 otherwise)
  GET  /api/users            administrators: the accounts, paged (?limit=&after=)

E-mail addresses are checked strictly (one address, ASCII, nothing around it) and stored in one canonical form
(lower case), so one mailbox is one account. Passwords are hashed with argon2id; the token is signed with the
shared SESSION_KEY and checked against the account's row on every request (sessions.py). Administrators are made
and unmade with `python app.py grant-admin|revoke-admin <email>`, and `python app.py sign-out <email>` ends every
session of an account (kubectl exec); each takes effect on the next request.
Run by gunicorn as `app:from_env()` (gunicorn.conf.py); tests build the app with create(settings).
"""
import re
import sys
from dataclasses import dataclass

import argon2
import pymysql
from flask import Flask, jsonify

import migrate
import service_kit as kit
from sessions import Sessions

SERVICE = "user-service"
TABLES = ("users",)
PUBLIC = "id, name, email, role"
# dot-atom local part (RFC 5322, ASCII) @ a DNS name of at least two labels, letters in the last. fullmatch with \Z
# semantics: `$` would also match before a final newline ("alice@example.com\n").
LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL = re.compile(rf"(?P<local>{LOCAL})@(?P<domain>(?:{LABEL}\.)+[A-Za-z](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9]))")
MIN_PASSWORD, MAX_PASSWORD = 10, 128
# argon2id with OWASP's minimum (19 MiB, 2 passes, 1 lane): four gunicorn threads hashing at once stay within the
# pod's memory limit, and one hash costs tens of milliseconds.
HASHER = argon2.PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified when the address is unknown, so that an unknown address costs the same time as a wrong password.
DUMMY_HASH = HASHER.hash("not a password of anyone")


@dataclass(frozen=True)
class Throttle:
    """Failed sign-ins allowed for an address within a window of `window` seconds: `per_client` from one client
    (its address, kit.client_address), `per_address` from all clients together (a guesser with many addresses).
    Anyone may guess at anyone's address: one client exhausts only its own allowance, and shutting the owner out
    takes per_address / per_client (10) client addresses. Counted in Redis; without Redis there is no limit (the
    service keeps working)."""
    per_client: int = 10
    per_address: int = 100
    window: int = 900


THROTTLE = Throttle()


def canonical_email(value) -> str:
    """The one stored form of an e-mail address; 400 for anything that is not exactly one address."""
    if not isinstance(value, str) or len(value) > 254 or not value.isascii():
        raise kit.ApiError(400, "email: an e-mail address such as alice@example.com")
    match = EMAIL.fullmatch(value)
    if match is None or len(match["local"]) > 64:
        raise kit.ApiError(400, "email: an e-mail address such as alice@example.com")
    return value.lower()


def password_of(body: dict) -> str:
    password = body.get("password")
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise kit.ApiError(400, f"password: {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    return password


class Users:
    """The users table."""

    def __init__(self, db: kit.Database):
        self._db = db

    def get(self, user_id: int):
        return self._db.one(f"SELECT {PUBLIC} FROM users WHERE id = %s", (user_id,))

    def page(self, page: kit.Page) -> list:
        return self._db.all(f"SELECT {PUBLIC} FROM users WHERE id > %s ORDER BY id LIMIT %s", (page.after or 0, page.limit + 1))

    def with_password(self, email: str):
        return self._db.one(f"SELECT {PUBLIC}, password_hash, session_version FROM users WHERE email = %s", (email,))

    def end_sessions(self, user_id: int) -> None:
        """Ends every session of the account: tokens carry the version they were issued with (sessions.py)."""
        conn = self._db.connection()
        with conn.cursor() as cur:
            cur.execute("UPDATE users SET session_version = session_version + 1 WHERE id = %s", (user_id,))
        conn.commit()

    def create(self, name: str, email: str, password_hash: str):
        """The new account, or None when the e-mail is taken."""
        conn = self._db.connection()
        try:
            with conn.cursor() as cur:
                cur.execute("INSERT INTO users (name, email, password_hash) VALUES (%s, %s, %s)", (name, email, password_hash))
                user_id = cur.lastrowid
            conn.commit()
        except pymysql.err.IntegrityError as error:
            conn.rollback()
            if error.args[0] == kit.ER_DUP_ENTRY:
                return None
            raise
        return {"id": user_id, "name": name, "email": email, "role": "customer"}

    def rehash(self, user_id: int, password_hash: str) -> None:
        conn = self._db.connection()
        with conn.cursor() as cur:
            cur.execute("UPDATE users SET password_hash = %s WHERE id = %s", (password_hash, user_id))
        conn.commit()


def build_app(users: Users, sessions: Sessions, cache: kit.Cache, checks, throttle: Throttle = THROTTLE) -> Flask:
    def register(app: Flask) -> None:
        @app.post("/api/users")
        def create_user():
            body = kit.json_body()
            name = kit.text(body, "name", 100)
            email = canonical_email(body.get("email"))
            user = users.create(name, email, HASHER.hash(password_of(body)))
            if user is None:
                raise kit.ApiError(409, "an account with this e-mail address exists: sign in instead")
            return jsonify(user), 201, {"Location": f"/api/users/{user['id']}"}

        @app.post("/api/users/sessions")
        def sign_in():
            body = kit.json_body()
            email = canonical_email(body.get("email"))
            password = body.get("password")
            if not isinstance(password, str) or len(password) > MAX_PASSWORD:
                raise kit.ApiError(400, f"password: up to {MAX_PASSWORD} characters")
            # Counted before the password is checked, atomically (INCR): of many parallel guesses exactly the
            # allowance is checked. A success takes its attempt back.
            address_key = f"user-service:sign-in:address:{email}"
            client_key = f"user-service:sign-in:client:{kit.client_address()}:{email}"
            for key, limit in ((client_key, throttle.per_client), (address_key, throttle.per_address)):
                attempts = cache.incr_window(key, throttle.window)
                if attempts is not None and attempts > limit:
                    raise kit.ApiError(429, "too many failed sign-ins for this address: try again later",
                                       {"Retry-After": str(cache.seconds_left(key) or throttle.window)})
            account = users.with_password(email)
            stored = account["password_hash"] if account else None
            try:
                # The dummy hash for an unknown address (or one without a password): the same work, then refused.
                signed_in = HASHER.verify(stored or DUMMY_HASH, password) and stored is not None
            except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
                signed_in = False
            if not signed_in:
                raise kit.ApiError(401, "wrong e-mail address or password")
            cache.delete(client_key)
            cache.take_back(address_key)
            if HASHER.check_needs_rehash(account["password_hash"]):
                users.rehash(account["id"], HASHER.hash(password))
            user = {k: account[k] for k in ("id", "name", "email", "role")}
            token = sessions.issue(user["id"], user["role"], account["session_version"])
            return jsonify(token=token, expires_in=sessions.max_age, user=user), 201

        @app.delete("/api/users/sessions")
        def sign_out():
            users.end_sessions(sessions.caller().user_id)
            return "", 204

        @app.get("/api/users/me")
        def me():
            return jsonify(users.get(sessions.caller().user_id))

        @app.get("/api/users/<int:user_id>")
        def get_user(user_id: int):
            caller = sessions.caller()
            user = users.get(user_id) if caller.is_admin or caller.user_id == user_id else None
            if user is None:
                raise kit.ApiError(404, f"no user {user_id}")
            return jsonify(user)

        @app.get("/api/users")
        def list_users():
            sessions.admin()
            page = kit.page_args()
            return jsonify(kit.paged(users.page(page), page))

    return kit.create_app(SERVICE, register, checks)


def create(settings: kit.Settings, throttle: Throttle = THROTTLE) -> Flask:
    db = kit.Database(settings)
    cache = kit.Cache(kit.redis_client(settings), SERVICE)
    # Readiness is MySQL only (reachable, schema migrated): without Redis the service still works.
    return build_app(Users(db), Sessions(settings.session_key, db), cache, {"mysql": lambda: migrate.check(db, TABLES)}, throttle)


def from_env() -> Flask:
    return create(kit.Settings.from_env())


# The account commands (`python app.py <command> <email>`): what each changes in the account's row, and the role it
# leaves. Every request reads the current role and session version, so each counts from the account's next request.
COMMANDS = {
    "grant-admin": ("role = 'admin'", "admin", "{email} is an administrator"),
    "revoke-admin": ("role = 'customer'", "customer", "{email} is no longer an administrator"),
    "sign-out": ("session_version = session_version + 1", None, "every session of {email} has ended"),
}


def account_command(settings: kit.Settings, command: str, email: str):
    """Runs an account command (COMMANDS); the account's role before it, or None when there is no such account."""
    assignments = COMMANDS[command][0]
    address = canonical_email(email)
    conn = kit.Database(settings).connect()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT role FROM users WHERE email = %s FOR UPDATE", (address,))
            row = cur.fetchone()
            if row is not None:
                cur.execute(f"UPDATE users SET {assignments} WHERE email = %s", (address,))
        conn.commit()
        return None if row is None else row["role"]
    finally:
        conn.close()


def grant_admin(settings: kit.Settings, email: str):
    return account_command(settings, "grant-admin", email)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python app.py {'|'.join(COMMANDS)} <email>")
    try:
        before = account_command(kit.Settings.from_env(database_only=True), sys.argv[1], sys.argv[2])
    except kit.ApiError as error:
        sys.exit(error.message)
    if before is None:
        sys.exit(f"no account with the e-mail address {sys.argv[2]}")
    _, role, message = COMMANDS[sys.argv[1]]
    print(message.format(email=sys.argv[2]) + (" (it was already)" if before == role else ""))
