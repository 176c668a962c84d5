"""SQL files that include others: `-- @include <path>` or psql's `\\ir <path>` on a line of its
own, the path taken relative to the including file.

The seeds' tables are written once (demo/schema/seedNNN.sql, unqualified) and loaded by both
the demo's data files and the tests' fixtures, each under its own `SET search_path`. The demo's
files use the comment form, so that they stay plain SQL (sqlfluff parses them); the fixtures use
`\\ir`, so that `psql -f tests/fixtures/seed000.sql` loads them as written too. `read_sql` puts
the named file's text in the line's place.
"""

from __future__ import annotations

import re
from pathlib import Path

_INCLUDE = re.compile(r"^(?:-- @include|\\ir)[ \t]+(\S+)[ \t]*$", re.MULTILINE)


def read_sql(path: Path, _seen: tuple[Path, ...] = ()) -> str:
    """The file's text with each `-- @include` line replaced by the named file's (recursively)."""
    path = path.resolve()
    if path in _seen:
        raise ValueError(f"{path} includes itself")
    text = path.read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda m: read_sql(path.parent / m.group(1), (*_seen, path)), text)
