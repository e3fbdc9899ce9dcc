"""A throwaway PostgreSQL cluster: initdb in a temp folder, Unix socket only, stopped at the end.

Used by the test session (tests/conftest.py), `make demo-agency` and the benchmarks, so all
three run against a real server exactly as `make test` installs it. initdb and postgres refuse
to run as root: as root, the cluster runs as the unprivileged system user `custody-pg`
(created if missing). Password authentication (scram-sha-256) is on, so a wrong password is
refused as a real server refuses it.

    python -m tests.pgcluster start DIR   # prints exports: CUSTODY_PG_ADMIN/_TOOL, PGPASSFILE
    python -m tests.pgcluster stop DIR
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

RUN_AS = "custody-pg"
SUPERUSER = "pgsuper"
ADMIN = "custody_admin"  # owns the database, creates schema and triggers
TOOL = "custody_tool"  # what workstations connect as: SELECT and INSERT only
READER = "custody_reader"  # SELECT only: for the missing-privilege tests


class ClusterError(RuntimeError):
    """PostgreSQL is missing or would not start: tests fail loudly, never skip."""


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise ClusterError(
        "PostgreSQL server binaries (initdb) not found: run `make system-deps` "
        "(apt-get install postgresql)"
    )


def _version_key(path: str) -> int:
    part = Path(path).parent.parent.name
    return int(part) if part.isdigit() else 0


def _as_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(RUN_AS)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", RUN_AS],
            check=True,
        )
    return ["runuser", "-u", RUN_AS, "--"]


@dataclass
class Cluster:
    """A running cluster under `base` (data/, the socket, server.log)."""

    base: Path
    password: str
    durable: bool = False

    @property
    def socket_dir(self) -> Path:
        """Where the server's Unix socket is (the only way in)."""
        return self.base

    def url(self, user: str, database: str, password: str | None = None) -> str:
        """A postgresql:// URL over the socket (password given as is, or the cluster's)."""
        secret = self.password if password is None else password
        login = f"{user}:{quote(secret, safe='')}" if secret else user
        return f"postgresql://{login}@/{database}?host={quote(str(self.socket_dir), safe='')}"

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [*_as_user(), *args], capture_output=True, text=True, check=False, timeout=120
        )
        if done.returncode != 0:
            log = self.base / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise ClusterError(f"{' '.join(args[:2])} failed: {done.stderr.strip()}\n{tail}")

    def start(self) -> None:
        """Start (or restart after stop) the server and wait until it accepts connections."""
        options = f"-c listen_addresses='' -c unix_socket_directories='{self.socket_dir}'"
        if not self.durable:
            options += " -c fsync=off -c full_page_writes=off"
        pg_ctl = str(_bin_dir() / "pg_ctl")
        log = str(self.base / "server.log")
        self._run(pg_ctl, "-D", str(self.base / "data"), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        """Stop the server (fast: open sessions are cut, as in a real restart)."""
        pg_ctl = str(_bin_dir() / "pg_ctl")
        self._run(pg_ctl, "-D", str(self.base / "data"), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        """Stop and start: every open connection is broken."""
        self.stop()
        self.start()

    def execute(self, *statements: str, database: str = "postgres") -> None:
        """Run statements as the superuser (autocommit)."""
        with psycopg.connect(self.url(SUPERUSER, database), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement.encode())

    def new_database(self, name: str) -> tuple[str, str]:
        """A fresh database owned by the administrator: (admin URL, tool URL)."""
        self.execute(f'CREATE DATABASE "{name}" OWNER {ADMIN}')
        return self.url(ADMIN, name), self.url(TOOL, name)

    def destroy(self) -> None:
        """Stop the server and remove its folder."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


def create(base: Path | None = None, *, durable: bool = False) -> Cluster:
    """initdb a new cluster in base (a new temp folder by default), start it, make the roles."""
    bindir = _bin_dir()
    base = base or Path(tempfile.mkdtemp(prefix="custody-pg-"))
    base.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(16)
    pwfile = base / "pw"
    pwfile.write_text(password + "\n")
    prefix = _as_user()
    if prefix:
        # The socket folder must be reachable by the tests, which run as root anyway.
        os.chmod(base, 0o755)
        shutil.chown(base, RUN_AS, RUN_AS)
        shutil.chown(pwfile, RUN_AS, RUN_AS)
    os.chmod(pwfile, 0o600)
    cluster = Cluster(base, password, durable)
    cluster._run(
        str(bindir / "initdb"),
        "-D",
        str(base / "data"),
        "-U",
        SUPERUSER,
        f"--pwfile={pwfile}",
        "--auth=scram-sha-256",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
    )
    pwfile.unlink()
    cluster.start()
    cluster.execute(
        f"CREATE ROLE {ADMIN} LOGIN PASSWORD '{password}'",
        f"CREATE ROLE {TOOL} LOGIN PASSWORD '{password}'",
        f"CREATE ROLE {READER} LOGIN PASSWORD '{password}'",
    )
    return cluster


def _main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print("usage: python -m tests.pgcluster start|stop DIR", file=sys.stderr)
        return 2
    base = Path(argv[1]).absolute()
    if argv[0] == "stop":
        pw = (base / "password").read_text().strip()
        Cluster(base, pw).destroy()
        return 0
    cluster = create(base, durable=True)
    (base / "password").write_text(cluster.password)
    cluster.new_database("custody")
    # Passwords go in a libpq password file, as on a workstation, not into URLs or argv.
    pgpass = base / "pgpass"
    pgpass.write_text(f"*:*:*:*:{cluster.password}\n")
    pgpass.chmod(0o600)
    admin, tool = (cluster.url(role, "custody", password="") for role in (ADMIN, TOOL))
    print(
        f"export CUSTODY_PG_ADMIN='{admin}' CUSTODY_PG_TOOL='{tool}' "
        f"CUSTODY_PG_TOOL_ROLE={TOOL} PGPASSFILE='{pgpass}'"
    )
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
