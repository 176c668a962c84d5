"""A throwaway PostgreSQL cluster from the local server binaries.

As an ordinary user the cluster belongs to that user. As root, where initdb
refuses to run, it belongs to an unprivileged system user: ``$WALLET_RECON_CLUSTER_USER``,
else ``postgres`` (Debian's server package creates it), else a ``wallet-recon``
system user created for the purpose. It listens on 127.0.0.1 on a free port,
trusts local connections (it is throwaway: never use it for real data), and
lives in a fresh temporary directory removed by ``stop()``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from migrator.connection import MigratorError

SUPERUSER = "postgres"


def find_bindir() -> Path:
    """PG_BINDIR, else ``pg_config --bindir``, else the newest /usr/lib/postgresql/*/bin."""
    candidates: list[str] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(os.environ["PG_BINDIR"])
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                         key=lambda p: int(Path(p).parent.name), reverse=True)
    for c in candidates:
        if (Path(c) / "initdb").is_file() and (Path(c) / "pg_ctl").is_file():
            return Path(c)
    raise MigratorError(
        "no PostgreSQL server binaries found (initdb, pg_ctl); install them "
        "(Debian: apt-get install postgresql) or set PG_BINDIR"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _service_user() -> pwd.struct_passwd:
    name = os.environ.get("WALLET_RECON_CLUSTER_USER")
    for candidate in ([name] if name else ["postgres", "wallet-recon"]):
        try:
            return pwd.getpwnam(candidate)
        except KeyError:
            continue
    if name:
        raise MigratorError(f"WALLET_RECON_CLUSTER_USER={name}: no such user")
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
         "wallet-recon"],
        check=True, capture_output=True,
    )
    return pwd.getpwnam("wallet-recon")


class ThrowawayCluster:
    def __init__(self, settings: dict[str, str] | None = None,
                 bindir: Path | None = None) -> None:
        self.bindir = bindir or find_bindir()
        self.settings = settings or {}
        self.tmp: Path | None = None
        self.port: int | None = None
        self._owner: pwd.struct_passwd | None = _service_user() if os.geteuid() == 0 else None

    @property
    def owner(self) -> str:
        return self._owner.pw_name if self._owner else pwd.getpwuid(os.geteuid()).pw_name

    @property
    def datadir(self) -> Path:
        assert self.tmp is not None
        return self.tmp / "data"

    @property
    def dsn(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        kwargs: dict = {}
        if self._owner is not None:
            kwargs = {"user": self._owner.pw_uid, "group": self._owner.pw_gid, "extra_groups": []}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C.UTF-8"
        proc = subprocess.run([str(self.bindir / args[0]), *args[1:]], capture_output=True,
                              text=True, cwd=self.tmp, env=env, **kwargs)
        if proc.returncode != 0:
            log = ""
            if self.tmp and (self.tmp / "server.log").exists():
                log = (self.tmp / "server.log").read_text(errors="replace")[-2000:]
            raise MigratorError(
                f"{args[0]} failed (exit {proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()[-500:]} {log}".strip()
            )
        return proc

    def start(self) -> str:
        self.tmp = Path(tempfile.mkdtemp(prefix="wallet-recon-pg-"))
        if self._owner is not None:
            os.chown(self.tmp, self._owner.pw_uid, self._owner.pw_gid)
        try:
            self._run("initdb", "-D", str(self.datadir), "-U", SUPERUSER, "--auth=trust",
                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
            # a port given in the settings is the one the server listens on
            self.port = int(self.settings.get("port") or _free_port())
            conf = {
                "port": str(self.port),
                "listen_addresses": "'127.0.0.1'",
                "unix_socket_directories": f"'{self.tmp}'",
                "fsync": "off",
                "synchronous_commit": "off",
                "full_page_writes": "off",
                "max_connections": "200",
                **self.settings,
            }
            with open(self.datadir / "postgresql.conf", "a", encoding="utf-8") as f:
                f.write("\n# wallet-recon throwaway cluster\n")
                f.writelines(f"{k} = {v}\n" for k, v in conf.items())
            self._run("pg_ctl", "-D", str(self.datadir), "-l", str(self.tmp / "server.log"),
                      "-w", "-t", "60", "start")
        except BaseException:
            self.stop()
            raise
        return self.dsn

    def stop(self) -> None:
        if self.tmp is None:
            return
        try:
            if (self.datadir / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None

    def __enter__(self) -> ThrowawayCluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
