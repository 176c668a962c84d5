"""Where the toolkit's SQL lives: inside the wheel, or at the root of a checkout."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

#: The repeatable layer, in its fixed apply order: functions first (views may
#: call them), then views, then triggers (which may reference both). Within a
#: directory, its files in name order, then its subfolders (functions/ holds one per stage
#: of the pipeline), those of STAGES first in that order, any other in name order.
REPEATABLE_DIRS: tuple[str, ...] = ("functions", "views", "triggers")

#: The pipeline's stages, in the order functions/ applies them (docs/MIGRATOR.md). The order
#: is for reading: bodies are validated once all are installed, so no stage needs another
#: to come first.
STAGES: tuple[str, ...] = ("common", "register", "ledger", "compile", "run", "fix", "guard")

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
        for path in _walk(base):
            files.append(
                RepeatableFile(
                    path=path.relative_to(root).as_posix(),
                    order=len(files),
                    sql=path.read_text(encoding="utf-8"),
                )
            )
    names = [(f.path.split("/", 1)[0], f.path.rsplit("/", 1)[-1]) for f in files]
    twice = sorted({f"{d}/.../{n}" for d, n in names if names.count((d, n)) > 1})
    if twice:  # a file is known by its name wherever it sits (a move keeps its record)
        raise ValueError(f"repeatable file names must be unique in their directory: {twice}")
    return files


def _walk(base: Path) -> list[Path]:
    """A directory's .sql files in apply order: its own by name, then each subfolder's."""
    subs = sorted((d for d in base.iterdir() if d.is_dir()),
                  key=lambda d: (STAGES.index(d.name) if d.name in STAGES else len(STAGES),
                                 d.name))
    return sorted(base.glob("*.sql")) + [p for d in subs for p in _walk(d)]
