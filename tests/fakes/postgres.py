"""A throwaway Postgres cluster for tests of the Postgres rate-limit bucket.

``CLAWBOT_TEST_POSTGRES_URL`` points the tests at an existing server instead. Otherwise the
cluster is made with the installed binaries (Debian's ``postgresql`` package, or ``initdb`` on
the PATH) in a temporary directory, listening on a free port of 127.0.0.1 with its sockets in
that directory, and deleted afterwards. initdb refuses to run as root, so as root the cluster
belongs to the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

DATABASE = "clawbot_test"


class PostgresUnavailable(RuntimeError):
    """No server URL was given and no Postgres binaries were found."""


def postgres_bin_dir() -> Path | None:
    installed = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
    if installed:
        return Path(installed[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb and shutil.which("pg_ctl") else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _runner() -> tuple[list[str], pwd.struct_passwd | None]:
    """As root, commands run as ``postgres`` (which must exist); otherwise as ourselves."""
    if os.geteuid() != 0:
        return [], None
    try:
        owner = pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresUnavailable("running as root, but there is no 'postgres' user to own the cluster") from None
    return ["runuser", "-u", "postgres", "--"], owner


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Yield the URL of a fresh database on a cluster of its own; stop and delete it after."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable("no initdb/pg_ctl: install Postgres (apt-get install postgresql)")
    prefix, owner = _runner()
    root = Path(tempfile.mkdtemp(prefix="clawbot-pg-"))
    data = root / "data"
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)

    def run(*command: str) -> None:
        subprocess.run([*prefix, *command], check=True, capture_output=True, text=True)

    port = _free_port()
    stop = [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
    try:
        try:
            run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
            options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c full_page_writes=off"
            run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "server.log"), "-w", "start")
        except subprocess.CalledProcessError as error:
            raise PostgresUnavailable(f"{Path(error.cmd[len(prefix)]).name} failed: {error.stderr.strip()}") from None
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {DATABASE}")
        yield f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(stop, capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
