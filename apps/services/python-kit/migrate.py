"""The shop's database schema, as versioned migrations (migrations/NNNN_name.sql), applied before a new version of
a service serves: every service's pod runs `python migrate.py` as its init container, so the schema is the one its
code needs before its first request. Runs from several pods at once are serialised by a database lock; a migration
already applied is skipped, one whose file changed after it was applied stops the run (write a new one instead).

MySQL commits every DDL statement on its own, so a migration cannot be one transaction: each statement applied is
recorded (schema_migrations: version, step), and a run stopped half-way resumes with the statement that did not
finish. Migrations only add (columns, tables, keys): the version still serving during a rollout, and the previous
one after a rollback, keep working on the newer schema.

    python migrate.py     # applies what is missing, with the service's settings (DB_HOST, ...) from the environment
"""
import hashlib
import logging
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pymysql

import service_kit as kit

MIGRATIONS_DIR = Path(__file__).resolve().with_name("migrations")
LOCK_NAME = "shop.schema_migrations"
LOCK_TIMEOUT_SECONDS = 60
# The init container waits this long for MySQL (it may still be starting), then fails and is restarted.
WAIT_FOR_DATABASE_SECONDS = 60
TRACKING_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INT UNSIGNED NOT NULL,
    step INT UNSIGNED NOT NULL,
    name VARCHAR(200) NOT NULL,
    sha256 CHAR(64) NOT NULL,
    applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (version, step)
) DEFAULT CHARSET = utf8mb4"""

log = logging.getLogger("migrate")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple
    sha256: str


def load(folder: Path = MIGRATIONS_DIR) -> list:
    """The migrations of a folder in version order; a misnamed file or a repeated version is an error."""
    migrations = []
    for path in sorted(folder.iterdir()):
        match = re.fullmatch(r"(\d{4})_([a-z0-9_]+)\.sql", path.name)
        if not match:
            raise RuntimeError(f"{path.name}: migration files are named NNNN_name.sql")
        text = path.read_text(encoding="utf-8")
        body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
        statements = tuple(s.strip() for s in body.split(";") if s.strip())
        if not statements:
            raise RuntimeError(f"{path.name}: no statement")
        migrations.append(Migration(int(match[1]), match[2], statements, hashlib.sha256(text.encode()).hexdigest()))
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migration versions must be 1, 2, 3... without gaps or repeats: {versions}")
    return migrations


MIGRATIONS = load()
LATEST = MIGRATIONS[-1].version


def apply(conn, migrations: list = MIGRATIONS) -> list:
    """Applies what is missing, under the database lock; the names of the migrations applied now."""
    with conn.cursor() as cur:
        cur.execute("SELECT GET_LOCK(%s, %s) AS locked", (LOCK_NAME, LOCK_TIMEOUT_SECONDS))
        if (cur.fetchone() or {}).get("locked") != 1:
            raise RuntimeError(f"another migration run held the lock {LOCK_NAME} for {LOCK_TIMEOUT_SECONDS} s")
        try:
            cur.execute(TRACKING_TABLE)
            cur.execute("SELECT version, step, sha256 FROM schema_migrations")
            done = {(r["version"], r["step"]): r["sha256"] for r in cur.fetchall()}
            applied = []
            for m in migrations:
                changed = {step for (version, step), sha in done.items() if version == m.version and sha != m.sha256}
                if changed:
                    raise RuntimeError(f"migration {m.version:04d}_{m.name} changed after it was applied: add a new migration instead")
                missing = [i for i in range(1, len(m.statements) + 1) if (m.version, i) not in done]
                for step in missing:
                    cur.execute(m.statements[step - 1])
                    cur.execute("INSERT INTO schema_migrations (version, step, name, sha256) VALUES (%s, %s, %s, %s)", (m.version, step, m.name, m.sha256))
                    conn.commit()
                if missing:
                    applied.append(f"{m.version:04d}_{m.name}")
            return applied
        finally:
            cur.execute("SELECT RELEASE_LOCK(%s)", (LOCK_NAME,))


def check(db: kit.Database, tables: tuple) -> None:
    """Readiness: the schema is at least at the version this code was written for, and the tables it uses exist."""
    conn = db.connect()
    try:
        with conn.cursor() as cur:
            try:
                cur.execute("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations")
            except pymysql.err.ProgrammingError as error:
                if error.args[0] == kit.ER_NO_SUCH_TABLE:
                    raise RuntimeError("the schema is not migrated (schema_migrations is missing)") from None
                raise
            version = cur.fetchone()["version"]
            if version < LATEST:
                raise RuntimeError(f"the schema is at version {version}, this code needs {LATEST} (migrations not run)")
            placeholders = ", ".join(["%s"] * len(tables))
            cur.execute(f"SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name IN ({placeholders})", tables)
            missing = sorted(set(tables) - {r["name"] for r in cur.fetchall()})
            if missing:
                raise RuntimeError(f"tables missing from the database: {', '.join(missing)}")
    finally:
        conn.close()


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s migrate %(levelname)s %(message)s")
    settings = kit.Settings.from_env(database_only=True)
    db = kit.Database(settings, read_timeout=LOCK_TIMEOUT_SECONDS + 30)
    deadline = time.monotonic() + WAIT_FOR_DATABASE_SECONDS
    while True:
        try:
            conn = db.connect()
            break
        except pymysql.err.OperationalError as error:
            if time.monotonic() > deadline:
                log.error("MySQL at %s:%s did not answer for %d s: %s", settings.db_host, settings.db_port, WAIT_FOR_DATABASE_SECONDS, error)
                return 1
            log.info("waiting for MySQL at %s:%s: %s", settings.db_host, settings.db_port, error)
            time.sleep(2)
    try:
        applied = apply(conn)
    finally:
        conn.close()
    log.info("schema at version %d: %s", LATEST, f"applied {', '.join(applied)}" if applied else "nothing to apply")
    return 0


if __name__ == "__main__":
    sys.exit(main())
