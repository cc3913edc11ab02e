"""user-service: the shop's customers.

  GET  /api/users          the users (newest 1000), cached in Redis for 30 s
  GET  /api/users/<id>     one user, 404 when unknown
  POST /api/users          {"name": "...", "email": "..."} -> 201 with the user; 409 when the email is taken

Run by gunicorn as `app:from_env()` (gunicorn.conf.py); tests build the app with fakes through build_app().
"""
import re

import pymysql
from flask import Flask, jsonify

import service_kit as kit

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS users (
        id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(100) NOT NULL,
        email VARCHAR(254) NOT NULL,
        created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
        UNIQUE KEY users_email (email)
    )"""
]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LIST_KEY = "user-service:users"
CACHE_SECONDS = 30


class Users:
    """The users table."""

    def __init__(self, db: kit.Database):
        self._db = db

    def list(self) -> list:
        return self._db.all("SELECT id, name, email FROM users ORDER BY id DESC LIMIT 1000")

    def get(self, user_id: int):
        return self._db.one("SELECT id, name, email FROM users WHERE id = %s", (user_id,))

    def create(self, name: str, email: str):
        """The new user, or None when the email is taken."""
        conn = self._db.connection()
        try:
            with conn.cursor() as cur:
                cur.execute("INSERT INTO users (name, email) VALUES (%s, %s)", (name, email))
                user_id = cur.lastrowid
            conn.commit()
        except pymysql.err.IntegrityError:
            conn.rollback()
            return None
        return {"id": user_id, "name": name, "email": email}


def validate(body: dict) -> tuple:
    name = body.get("name")
    email = body.get("email")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 100:
        raise kit.ApiError(400, "name: a string of 1 to 100 characters")
    if not isinstance(email, str) or len(email) > 254 or not EMAIL.match(email):
        raise kit.ApiError(400, "email: an email address")
    return name.strip(), email.lower()


def build_app(users, cache, checks) -> Flask:
    def register(app: Flask) -> None:
        @app.get("/api/users")
        def list_users():
            return jsonify(kit.cached(cache, LIST_KEY, CACHE_SECONDS, users.list))

        @app.get("/api/users/<int:user_id>")
        def get_user(user_id: int):
            user = users.get(user_id)
            if user is None:
                raise kit.ApiError(404, f"no user {user_id}")
            return jsonify(user)

        @app.post("/api/users")
        def create_user():
            name, email = validate(kit.json_body())
            user = users.create(name, email)
            if user is None:
                raise kit.ApiError(409, f"a user with email {email} exists")
            kit.invalidate(cache, LIST_KEY)
            return jsonify(user), 201, {"Location": f"/api/users/{user['id']}"}

    return kit.create_app("user-service", register, checks)


def from_env() -> Flask:
    settings = kit.Settings.from_env()
    db = kit.Database(settings, SCHEMA)
    cache = kit.redis_client(settings)
    return build_app(Users(db), cache, {"mysql": db.ping, "redis": cache.ping})
