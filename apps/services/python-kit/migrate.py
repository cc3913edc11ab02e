"""The shop's database schema, as versioned migrations (migrations/NNNN_name.sql), applied before a new version of
a service serves: every service's pod runs `python migrate.py` as its init container, so the schema is the one its
code needs before its first request. Runs from several pods at once are serialised by a database lock; a migration
already applied is skipped, one whose file changed after it was applied stops the run (write a new one instead).

MySQL commits every DDL statement on its own, so a migration cannot be one transaction: each statement applied is
recorded (schema_migrations: version, step), and a run stopped half-way resumes with the statement that did not
finish. A run killed after a statement took effect but before its record was written finds what the statement adds
already there (information_schema) and records the step instead of failing on it forever. That is why migrations
may only add, in the forms this module can check (ADDITIVE below: tables, columns, keys, foreign keys): the version
still serving during a rollout, and the previous one after a rollback, keep working on the newer schema.

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


@dataclass(frozen=True)
class Addition:
    """One object a statement adds, as information_schema shows it: ("table", t), ("column", t, c), ("index", t, k)
    or ("constraint", t, n)."""
    kind: str
    table: str
    name: str = ""

    def __str__(self) -> str:
        return f"{self.kind} {self.table}" + (f".{self.name}" if self.name else "")


IDENT = r"(?:`(?P<{0}>[^`]+)`|(?P<{0}_bare>[A-Za-z0-9_$]+))"
CREATE_TABLE = re.compile(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?" + IDENT.format("table") + r"\s*\(", re.I | re.S)
CREATE_INDEX = re.compile(r"CREATE\s+(?:UNIQUE\s+)?INDEX\s+" + IDENT.format("name") + r"\s+ON\s+" + IDENT.format("table") + r"\s*\(", re.I | re.S)
ALTER_TABLE = re.compile(r"ALTER\s+TABLE\s+" + IDENT.format("table") + r"\s+(?P<clauses>.+)", re.I | re.S)
# The clauses of an ALTER TABLE a resumed run can check (each adds one object, named in the clause).
ADD_CLAUSES = (
    ("column", re.compile(r"ADD\s+COLUMN\s+(?:IF\s+NOT\s+EXISTS\s+)?" + IDENT.format("name") + r"\s", re.I | re.S)),
    ("index", re.compile(r"ADD\s+(?:UNIQUE\s+)?(?:KEY|INDEX)\s+" + IDENT.format("name") + r"\s*\(", re.I | re.S)),
    ("index", re.compile(r"ADD\s+CONSTRAINT\s+" + IDENT.format("name") + r"\s+UNIQUE\s", re.I | re.S)),
    ("constraint", re.compile(r"ADD\s+CONSTRAINT\s+" + IDENT.format("name") + r"\s+FOREIGN\s+KEY\s", re.I | re.S)),
)
ADDITIVE = "CREATE TABLE, CREATE INDEX, or ALTER TABLE with ADD COLUMN, ADD [UNIQUE] KEY/INDEX, ADD CONSTRAINT ... UNIQUE/FOREIGN KEY"


def _short(statement: str) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= 60 else f"{flat[:57]}..."


def _ident(match, group: str) -> str:
    return match[group] or match[f"{group}_bare"]


def _top_level_commas(text: str) -> list:
    """`text` split at the commas outside parentheses and quotes (an ALTER TABLE's clauses)."""
    parts, depth, quote, current = [], 0, None, ""
    for i, c in enumerate(text):
        if quote:
            if c == quote and text[i - 1] != "\\":
                quote = None
        elif c in "'\"`":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += c
    return [p.strip() for p in parts + [current] if p.strip()]


def additions(statement: str) -> tuple:
    """What a statement adds; a RuntimeError for a statement that is not one of the additive forms (ADDITIVE)."""
    for pattern, kind in ((CREATE_TABLE, "table"), (CREATE_INDEX, "index")):
        match = pattern.match(statement)
        if match:
            return (Addition(kind, _ident(match, "table"), "" if kind == "table" else _ident(match, "name")),)
    match = ALTER_TABLE.match(statement)
    if match:
        table, found = _ident(match, "table"), []
        for clause in _top_level_commas(match["clauses"]):
            kind = next(((k, m) for k, pattern in ADD_CLAUSES for m in [pattern.match(clause + " ")] if m), None)
            if kind is None:
                raise RuntimeError(f"{clause.split()[0].upper()} in `{_short(statement)}`: migrations only add, as {ADDITIVE}")
            found.append(Addition(kind[0], table, _ident(kind[1], "name")))
        return tuple(found)
    raise RuntimeError(f"`{_short(statement)}`: migrations only add, as {ADDITIVE}")


def load(folder: Path = MIGRATIONS_DIR) -> list:
    """The migrations of a folder in version order; a misnamed file, a repeated version or a statement that is not
    additive (ADDITIVE) is an error."""
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
        for statement in statements:
            try:
                additions(statement)
            except RuntimeError as error:
                raise RuntimeError(f"{path.name}: {error}") from None
        migrations.append(Migration(int(match[1]), match[2], statements, hashlib.sha256(text.encode()).hexdigest()))
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migration versions must be 1, 2, 3... without gaps or repeats: {versions}")
    return migrations


MIGRATIONS = load()
LATEST = MIGRATIONS[-1].version
EXISTS = {
    "table": "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = %s",
    "column": "SELECT COUNT(*) AS n FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = %s AND column_name = %s",
    "index": "SELECT COUNT(*) AS n FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = %s AND index_name = %s",
    "constraint": "SELECT COUNT(*) AS n FROM information_schema.table_constraints WHERE table_schema = DATABASE() AND table_name = %s AND constraint_name = %s",
}


def _exists(cur, addition: Addition) -> bool:
    cur.execute(EXISTS[addition.kind], (addition.table,) + ((addition.name,) if addition.name else ()))
    return cur.fetchone()["n"] > 0


def _record(cur, m: Migration, step: int) -> None:
    cur.execute("INSERT INTO schema_migrations (version, step, name, sha256) VALUES (%s, %s, %s, %s)", (m.version, step, m.name, m.sha256))


def _apply_step(cur, m: Migration, step: int) -> None:
    """Runs a step not recorded yet; when everything it adds exists (a run was stopped after the statement took
    effect, before its record), it is recorded without running again. Part of it existing is an error to look at."""
    statement = m.statements[step - 1]
    adds = additions(statement)
    present = [a for a in adds if _exists(cur, a)]
    if not present:
        cur.execute(statement)
    elif len(present) < len(adds):
        missing = [str(a) for a in adds if a not in present]
        raise RuntimeError(f"migration {m.version:04d}_{m.name} step {step} is partly in the database ({', '.join(map(str, present))} exist, "
                           f"{', '.join(missing)} not): compare the schema with the migration and repair it by hand")
    else:
        log.warning("migration %04d_%s step %d is in the database but was not recorded (a run stopped after it): recorded now", m.version, m.name, step)
    _record(cur, m, step)


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
                    _apply_step(cur, m, step)
                    conn.commit()
                if missing:
                    applied.append(f"{m.version:04d}_{m.name}")
            return applied
        finally:
            cur.execute("SELECT RELEASE_LOCK(%s)", (LOCK_NAME,))


def unapplied(cur, migrations: list = MIGRATIONS) -> list:
    """The migrations of this code with a step not recorded in the database (not run, or stopped half-way)."""
    cur.execute("SELECT version, step FROM schema_migrations")
    recorded = {(r["version"], r["step"]) for r in cur.fetchall()}
    return [f"{m.version:04d}_{m.name}" for m in migrations if any((m.version, i) not in recorded for i in range(1, len(m.statements) + 1))]


def check(db: kit.Database, tables: tuple) -> None:
    """Readiness: every step of every migration this code knows is recorded (a newer version's are fine: a rollback),
    and the tables it uses exist."""
    conn = db.connect()
    try:
        with conn.cursor() as cur:
            try:
                missing = unapplied(cur)
            except pymysql.err.ProgrammingError as error:
                if error.args[0] == kit.ER_NO_SUCH_TABLE:
                    raise RuntimeError("the schema is not migrated (schema_migrations is missing)") from None
                raise
            if missing:
                raise RuntimeError(f"the schema lacks migrations this code needs: {', '.join(missing)} (not run, or stopped half-way)")
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
