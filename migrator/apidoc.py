"""docs/API.md from a database's catalog: the `COMMENT ON` text of every object in the public
schema `recon` (functions and procedures with their signatures, views with their columns,
types with their attributes), read from pg_description.

    python -m migrator.apidoc --database URL [--output docs/API.md]

Run it on a freshly installed database: checks registered there add their own views
(`recon.check_<name>`), which belong to that database, not to the toolkit.
tests/test_apidoc.py installs one, regenerates, and fails when docs/API.md is not current.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import psycopg

SCHEMA = "recon"

HEADER = """\
# API reference: the schema `recon`

Generated from the `COMMENT ON` text of every object in the schema `recon` of a fresh install
(pg_description), so it says what `\\df+ recon.*` and `\\dv+ recon.*` say. Do not edit it by
hand: change the comment in `functions/`, `views/` or `migrations/`, then regenerate with

```console
WALLET_RECON_UPDATE_API_DOC=1 .venv/bin/python -m pytest tests/test_apidoc.py -n 0
```

(or `.venv/bin/python -m migrator.apidoc --database URL --output docs/API.md` on a database
where `wallet-recon install` has just run). `tests/test_apidoc.py` fails when this file is not
current.
"""

FUNCTIONS = """
SELECT p.proname, p.prokind, pg_get_function_arguments(p.oid),
       pg_get_function_result(p.oid), obj_description(p.oid, 'pg_proc')
  FROM pg_proc p
 WHERE p.pronamespace = %(schema)s::regnamespace
 ORDER BY p.proname, pg_get_function_identity_arguments(p.oid)
"""

RELATIONS = """
SELECT c.oid, c.relname, c.relkind, obj_description(c.oid, 'pg_class'),
       obj_description(t.oid, 'pg_type')
  FROM pg_class c
  JOIN pg_type t ON t.oid = c.reltype
 WHERE c.relnamespace = %(schema)s::regnamespace
   AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
 ORDER BY c.relkind = 'c', c.relname
"""

COLUMNS = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), col_description(a.attrelid, a.attnum)
  FROM pg_attribute a
 WHERE a.attrelid = %(oid)s AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum
"""

OTHER_TYPES = """
SELECT t.typname, t.typtype, obj_description(t.oid, 'pg_type')
  FROM pg_type t
 WHERE t.typnamespace = %(schema)s::regnamespace AND t.typtype IN ('d', 'e', 'r', 'm')
 ORDER BY t.typname
"""

KINDS = {"r": "table", "p": "table", "v": "view", "m": "materialized view",
         "f": "foreign table", "c": "type"}


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _comment(text: str | None) -> str:
    return text.strip() if text else "*(no comment)*"


def generate(dsn: str) -> str:
    """The text of docs/API.md for the database at dsn."""
    args = {"schema": SCHEMA}
    with psycopg.connect(dsn, autocommit=True) as c:
        schema_comment = c.execute("SELECT obj_description(%(schema)s::regnamespace,"
                                   " 'pg_namespace')", args).fetchone()[0]
        functions = c.execute(FUNCTIONS, args).fetchall()
        relations = c.execute(RELATIONS, args).fetchall()
        columns = {oid: c.execute(COLUMNS, {"oid": oid}).fetchall()
                   for oid, *_ in relations}
        others = c.execute(OTHER_TYPES, args).fetchall()

    out = [HEADER, f"`{SCHEMA}`: {_comment(schema_comment)}", ""]
    out += ["## Functions", ""]
    for name, kind, arguments, result, comment in functions:
        out.append(f"### {SCHEMA}.{name}")
        out.append("")
        out.append("```sql")
        if kind == "p":
            out.append(f"PROCEDURE {SCHEMA}.{name}({arguments})")
        else:
            out.append(f"{SCHEMA}.{name}({arguments}) RETURNS {result}")
        out.append("```")
        out.append("")
        out.append(_comment(comment))
        out.append("")
    for heading, wanted in (("Views", {"v", "m"}), ("Tables", {"r", "p", "f"}),
                            ("Types", {"c"})):
        rows = [r for r in relations if r[2] in wanted]
        if not rows and heading != "Types":
            continue
        out += [f"## {heading}", ""]
        for oid, name, relkind, comment, type_comment in rows:
            out.append(f"### {SCHEMA}.{name} ({KINDS[relkind]})")
            out.append("")
            out.append(_comment(type_comment if relkind == "c" else comment))
            out.append("")
            out.append("| column | type | comment |")
            out.append("|---|---|---|")
            for column, type_, column_comment in columns[oid]:
                out.append(f"| `{column}` | `{type_}` | {_cell(column_comment)} |")
            out.append("")
        if heading == "Types":
            for name, _typtype, comment in others:
                out.append(f"### {SCHEMA}.{name}")
                out.append("")
                out.append(_comment(comment))
                out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m migrator.apidoc", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default=os.environ.get("DATABASE_URL"),
                        help="a database where `wallet-recon install` has just run")
    parser.add_argument("--output", type=Path, help="write here instead of to stdout")
    args = parser.parse_args(argv)
    if not args.database:
        parser.error("--database (or $DATABASE_URL) is required")
    text = generate(args.database)
    if args.output:
        args.output.write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
