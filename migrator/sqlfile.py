"""SQL files that include others: `-- @include <path>` on a line of its own.

The seeds' tables are written once (demo/schema/seedNNN.sql, unqualified) and loaded by both
the demo's data files and the tests' fixtures, each under its own `SET search_path`. The line
is a comment, so the including file stays plain SQL (sqlfluff parses it); `read_sql` puts the
named file's text in its place, the path taken relative to the including file.
"""

from __future__ import annotations

import re
from pathlib import Path

_INCLUDE = re.compile(r"^-- @include[ \t]+(\S+)[ \t]*$", re.MULTILINE)


def read_sql(path: Path, _seen: tuple[Path, ...] = ()) -> str:
    """The file's text with each `-- @include` line replaced by the named file's (recursively)."""
    path = path.resolve()
    if path in _seen:
        raise ValueError(f"{path} includes itself")
    text = path.read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda m: read_sql(path.parent / m.group(1), (*_seen, path)), text)
