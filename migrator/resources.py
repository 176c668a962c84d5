"""Where the toolkit's SQL lives: inside the wheel, or at the root of a checkout."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

#: The repeatable layer, in its fixed apply order: functions first (views may
#: call them), then views, then triggers (which may reference both). Within a
#: directory, files apply in name order.
REPEATABLE_DIRS: tuple[str, ...] = ("functions", "views", "triggers")

_PACKAGE_DIR = Path(__file__).resolve().parent


def sql_root(override: str | os.PathLike[str] | None = None) -> Path:
    """The directory holding migrations/, functions/, views/ and triggers/.

    An explicit override (``--sql-dir`` or ``WALLET_RECON_SQL_DIR``) wins; then
    the copy shipped inside the wheel; then the source checkout this module sits in.
    """
    if override:
        root = Path(override).resolve()
        if not (root / "migrations").is_dir():
            raise FileNotFoundError(f"{root} has no migrations/ directory")
        return root
    for candidate in (_PACKAGE_DIR / "sql", _PACKAGE_DIR.parent):
        if (candidate / "migrations").is_dir():
            return candidate
    raise FileNotFoundError("the toolkit's SQL files are missing from this installation")


def bootstrap_sql() -> str:
    return (_PACKAGE_DIR / "bootstrap.sql").read_text(encoding="utf-8")


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RepeatableFile:
    path: str  # relative to the SQL root, e.g. "functions/version.sql"
    order: int
    sql: str

    @property
    def checksum(self) -> str:
        return checksum(self.sql)


def repeatable_files(root: Path) -> list[RepeatableFile]:
    files: list[RepeatableFile] = []
    for directory in REPEATABLE_DIRS:
        base = root / directory
        if not base.is_dir():
            continue
        for path in sorted(base.glob("*.sql")):
            files.append(
                RepeatableFile(
                    path=f"{directory}/{path.name}",
                    order=len(files),
                    sql=path.read_text(encoding="utf-8"),
                )
            )
    return files
