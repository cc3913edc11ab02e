"""Real MariaDB and Redis servers for the tests, on 127.0.0.1, each with its own data directory under a temporary
folder and a free port, stopped by their own process id. The tests use them when no server is given in the
environment (SHOP_TEST_DB_HOST ...), e.g. in the image's test stage or on a developer's machine; CI starts them
once for every suite with the command line below and passes their addresses on.

    python servers.py up --state DIR     # starts both, writes DIR/servers.json and prints it; the servers keep running
    python servers.py down --state DIR   # stops exactly the processes `up` started
    python servers.py database NAME      # (re)creates a database and its own user on the servers of the environment

MariaDB stands in for MySQL 8.4 here (the pull-request workflow runs the same tests against MySQL 8.4 itself): what
it cannot cover is MySQL's own authentication plugin (caching_sha2_password) and its SQL dialect's differences.
Needs the Debian packages mariadb-server and redis-server (MariaDB 10.11+, Redis 7+) and PyMySQL.
"""
import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import pymysql

# Test-only account names: the servers die with the test run, and their passwords are random per run.
ADMIN_USER = "shop_admin"
START_TIMEOUT = 30.0

# The environment variables that hand servers to the tests (and to tools/shop-stack.ts).
ENV = {
    "db_host": "SHOP_TEST_DB_HOST",
    "db_port": "SHOP_TEST_DB_PORT",
    "db_admin_user": "SHOP_TEST_DB_ADMIN_USER",
    "db_admin_password": "SHOP_TEST_DB_ADMIN_PASSWORD",
    "redis_host": "SHOP_TEST_REDIS_HOST",
    "redis_port": "SHOP_TEST_REDIS_PORT",
    "redis_password": "SHOP_TEST_REDIS_PASSWORD",
}


@dataclass
class Servers:
    """Where the servers answer, and an account that may create databases and users."""

    db_host: str
    db_port: int
    db_admin_user: str
    db_admin_password: str
    redis_host: str
    redis_port: int
    redis_password: str

    @classmethod
    def from_env(cls, env=os.environ) -> Optional["Servers"]:
        """The servers the environment names, or None when it names none; half a description is an error."""
        given = {field: env.get(var) for field, var in ENV.items()}
        if not any(given.values()):
            return None
        missing = [ENV[f] for f, v in given.items() if v is None and f not in ("redis_password", "db_admin_password")]
        if missing:
            raise RuntimeError(f"incomplete test servers in the environment: set {', '.join(missing)} too (or none of {', '.join(ENV.values())})")
        return cls(
            db_host=given["db_host"], db_port=int(given["db_port"]), db_admin_user=given["db_admin_user"],
            db_admin_password=given["db_admin_password"] or "", redis_host=given["redis_host"],
            redis_port=int(given["redis_port"]), redis_password=given["redis_password"] or "",
        )

    def env(self) -> dict:
        return {ENV[field]: str(value) for field, value in asdict(self).items()}


def admin_connection(servers: Servers):
    return pymysql.connect(host=servers.db_host, port=servers.db_port, user=servers.db_admin_user, password=servers.db_admin_password,
                           autocommit=True, connect_timeout=5)


def create_database(servers: Servers, name: str) -> dict:
    """A new, empty database (dropped first if it exists) and a user that may use only it, as MYSQL_USER of the MySQL
    image may: {"db_name", "db_user", "db_password"}."""
    password = secrets.token_urlsafe(18)
    conn = admin_connection(servers)
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cur.execute(f"DROP USER IF EXISTS '{name}'@'%'")
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            cur.execute(f"CREATE USER '{name}'@'%%' IDENTIFIED BY %s", (password,))
            cur.execute(f"GRANT ALL PRIVILEGES ON `{name}`.* TO '{name}'@'%'")
    finally:
        conn.close()
    return {"db_name": name, "db_user": name, "db_password": password}


def drop_database(servers: Servers, name: str) -> None:
    conn = admin_connection(servers)
    try:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cur.execute(f"DROP USER IF EXISTS '{name}'@'%'")
    finally:
        conn.close()


_handed_out: set = set()


def free_port() -> int:
    """A port free now, and not handed out before by this process (the kernel may offer a closed one again)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


# What a server's log says when another process took its port between free_port() and its start.
PORT_TAKEN = ("Address already in use", "Bind on TCP/IP port")
START_ATTEMPTS = 3


def start_on_free_port(server, launch) -> None:
    """launch() on server.port; when the port was taken meanwhile, again on another one (a few times)."""
    for attempt in range(START_ATTEMPTS):
        try:
            launch()
            return
        except RuntimeError as e:
            if attempt == START_ATTEMPTS - 1 or not any(m in str(e) for m in PORT_TAKEN):
                raise
            server.port = free_port()


def find(*names: str) -> str:
    """The first of these programs on the PATH or in /usr/sbin (where Debian puts mariadbd and nginx)."""
    for name in names:
        found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin")
        if found:
            return found
    raise RuntimeError(f"{' or '.join(names)} not found: install the Debian packages mariadb-server and redis-server "
                       "(apt-get install mariadb-server redis-server; .ci/run does it), or point the tests at running "
                       f"servers with {', '.join(ENV.values())}")


def wait_until(ready, what: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log.read_text(errors='replace')[-3000:] if log.exists() else ''}")
        try:
            if ready():
                return
        except (OSError, pymysql.err.Error):
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start within {START_TIMEOUT:.0f} s:\n{log.read_text(errors='replace')[-3000:] if log.exists() else ''}")


def memory_folder() -> Optional[str]:
    """/dev/shm when it has room (1 GiB), else None (the default temp folder)."""
    try:
        return "/dev/shm" if shutil.disk_usage("/dev/shm").free > 1 << 30 else None
    except OSError:
        return None


def as_user_flag() -> list:
    # mariadbd refuses to run as root unless told to; as anyone else it simply runs as that user.
    return ["--user=root"] if os.geteuid() == 0 else []


class MariaDB:
    def __init__(self, workdir: Path, durable: bool = False):
        self.durable = durable
        self.dir = workdir / "mariadb"
        self.port = free_port()
        self.socket = str(self.dir / "mysqld.sock")
        self.password = secrets.token_urlsafe(24)
        self.process: Optional[subprocess.Popen] = None
        self.data: Optional[Path] = None

    def start(self, detach: bool = False) -> None:
        self.dir.mkdir(parents=True)
        # Schema changes fsync a lot: test data lives in memory (/dev/shm) when it can; a durable server on disk.
        memory = None if self.durable else memory_folder()
        data = Path(tempfile.mkdtemp(prefix="shop-mariadb-", dir=memory)) if memory else self.dir / "data"
        self.data = data
        log = self.dir / "error.log"
        install = [find("mariadb-install-db", "mysql_install_db"), "--no-defaults", f"--datadir={data}", "--auth-root-authentication-method=socket",
                   "--skip-test-db", *as_user_flag()]
        subprocess.run(install, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        command = [
            find("mariadbd", "mysqld"), "--no-defaults", f"--datadir={data}", f"--socket={self.socket}",
            "--bind-address=127.0.0.1", "--skip-name-resolve", f"--pid-file={self.dir / 'mariadbd.pid'}", f"--log-error={log}",
            "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci", "--skip-log-bin",
            "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M", "--max-connections=300", *as_user_flag(),
            # Test data need not survive a crash: no flush per commit (a durable server is benchmarked, not tested).
            *([] if self.durable else ["--innodb-flush-log-at-trx-commit=0", "--innodb-doublewrite=0"]),
        ]
        def launch() -> None:
            log.unlink(missing_ok=True)  # what this attempt says, not an earlier one
            self.process = subprocess.Popen([*command, f"--port={self.port}"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=detach)
            wait_until(lambda: self._root().close() is None, "mariadbd", self.process, log)

        start_on_free_port(self, launch)
        conn = self._root()
        try:
            with conn.cursor() as cur:
                # An administrator over TCP, like the root account of MySQL's image: the tests create their own
                # databases and least-privilege users with it.
                cur.execute(f"CREATE USER '{ADMIN_USER}'@'127.0.0.1' IDENTIFIED BY %s", (self.password,))
                cur.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{ADMIN_USER}'@'127.0.0.1' WITH GRANT OPTION")
        finally:
            conn.close()

    def _root(self):
        return pymysql.connect(unix_socket=self.socket, user="root", connect_timeout=2, autocommit=True)


class Redis:
    def __init__(self, workdir: Path):
        self.dir = workdir / "redis"
        self.port = free_port()
        self.password = secrets.token_urlsafe(24)
        self.process: Optional[subprocess.Popen] = None

    def start(self, detach: bool = False) -> None:
        self.dir.mkdir(parents=True)
        log = self.dir / "redis.log"
        # A cache: nothing saved to disk, like the deployed one's role (it may lose everything at any time).
        def launch() -> None:
            log.unlink(missing_ok=True)  # what this attempt says, not an earlier one
            command = [find("redis-server"), "--bind", "127.0.0.1", "--port", str(self.port), "--requirepass", self.password,
                       "--save", "", "--appendonly", "no", "--dir", str(self.dir), "--logfile", str(log), "--daemonize", "no"]
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=detach)
            wait_until(self._pong, "redis-server", self.process, log)

        start_on_free_port(self, launch)

    def _pong(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
            s.sendall(f"AUTH {self.password}\r\nPING\r\n".encode())
            answer = b""
            while b"PONG" not in answer:
                chunk = s.recv(64)
                if not chunk:
                    return False
                answer += chunk
            return True


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie, exited but not yet reaped by its new parent, does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def stop(pid: int, timeout: float = 15.0) -> None:
    """Stops one process this module started (SIGTERM, then SIGKILL after the timeout)."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
            if finished:
                return
        except ChildProcessError:
            # Not our child (started by an earlier `up`): poll until it is gone.
            if not alive(pid):
                return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


class LocalServers:
    """MariaDB and Redis started here, in a temporary folder (or `workdir`), until stop()."""

    def __init__(self, workdir: Optional[Path] = None, durable: bool = False):
        self._own_dir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="shop-servers-"))
        self.mariadb = MariaDB(self.workdir, durable)
        self.redis = Redis(self.workdir)

    def start(self, detach: bool = False) -> Servers:
        try:
            self.redis.start(detach)
            self.mariadb.start(detach)
        except BaseException:
            self.stop()
            raise
        return Servers("127.0.0.1", self.mariadb.port, ADMIN_USER, self.mariadb.password, "127.0.0.1", self.redis.port, self.redis.password)

    def pids(self) -> list:
        return [p.pid for p in (self.mariadb.process, self.redis.process) if p is not None]

    def folders(self) -> list:
        """What stop() removes: the data kept outside the work folder (in memory)."""
        data = self.mariadb.data
        return [str(data)] if data is not None and self.workdir not in data.parents else []

    def stop(self) -> None:
        for pid in self.pids():
            stop(pid)
        for folder in self.folders() + ([str(self.workdir)] if self._own_dir else []):
            shutil.rmtree(folder, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["up", "down", "database"])
    parser.add_argument("name", nargs="?", help="database: the database (and user) to create")
    parser.add_argument("--state", type=Path, help="up, down: folder for the servers' data, logs and servers.json")
    parser.add_argument("--durable", action="store_true", help="up: flush every commit to disk (for benchmarks)")
    args = parser.parse_args(argv)
    if args.command == "database":
        servers = Servers.from_env()
        if servers is None or not args.name:
            parser.error(f"database NAME needs the servers in the environment ({', '.join(ENV.values())})")
        print(json.dumps(create_database(servers, args.name)))
        return 0
    if args.state is None:
        parser.error(f"{args.command} needs --state")
    state_file = args.state / "servers.json"
    if args.command == "up":
        if state_file.exists():
            raise SystemExit(f"{state_file} exists: servers are running there (down first)")
        args.state.mkdir(parents=True, exist_ok=True)
        local = LocalServers(args.state, durable=args.durable)
        servers = local.start(detach=True)
        state_file.write_text(json.dumps({"env": servers.env(), "pids": local.pids(), "folders": local.folders()}, indent=2))
        print(json.dumps(servers.env()))
    else:
        if not state_file.exists():
            return 0
        state = json.loads(state_file.read_text())
        for pid in state["pids"]:
            stop(pid)
        for folder in state.get("folders", []):
            shutil.rmtree(folder, ignore_errors=True)
        state_file.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
