"""The installed schema, committed (issue 20, item 3; graphile-worker commits its dump): a
normalised `pg_dump --schema-only` of a fresh install of the toolkit's schemas, in
tests/expected/schema.sql. A change to a migration or a repeatable object shows as a readable
diff of that file in review.

Regenerate it with one command (docs/TESTING.md):

    WALLET_RECON_UPDATE_EXPECTED=1 .venv/bin/python -m pytest tests/test_expected_schema.py -n 0
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

from conftest import find_bindir

EXPECTED = Path(__file__).resolve().parent / "expected" / "schema.sql"
SCHEMAS = ("recon", "_recon", "_recon_guard")
# pg_dump 15.14+ writes \restrict <random key> ... \unrestrict: a fixed key keeps it stable
RESTRICT_KEY = "walletrecon"
# lines that depend on the server or the pg_dump run, not on the schema
VARIES = re.compile(r"^(-- Dumped (from|by) |SET |SELECT pg_catalog\.set_config\('search_path')")


def normalised_dump(dsn: str) -> str:
    pg_dump = os.environ.get("WALLET_RECON_PG_DUMP") or str(find_bindir() / "pg_dump")
    out = subprocess.run(
        [pg_dump, "--schema-only", "--no-owner", f"--restrict-key={RESTRICT_KEY}",
         *(f"--schema={s}" for s in SCHEMAS), "--dbname", dsn],
        capture_output=True, text=True, check=True).stdout
    lines = [line for line in out.splitlines() if not VARIES.match(line)]
    # (--no-owner: the installing role's name is not part of the schema)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines).strip() + "\n")


def test_a_fresh_install_is_the_committed_schema(make_db: Callable[..., str],
                                                  template_db: str) -> None:
    dump = normalised_dump(make_db(template_db))
    if os.environ.get("WALLET_RECON_UPDATE_EXPECTED") == "1":
        EXPECTED.parent.mkdir(exist_ok=True)
        EXPECTED.write_text(dump)
    expected = EXPECTED.read_text()
    if dump != expected:
        diff = "".join(list(difflib.unified_diff(
            expected.splitlines(keepends=True), dump.splitlines(keepends=True),
            "tests/expected/schema.sql", "a fresh install"))[:120])
        raise AssertionError(
            "the installed schema differs from tests/expected/schema.sql; if the change is "
            "meant, regenerate it: WALLET_RECON_UPDATE_EXPECTED=1 .venv/bin/python -m pytest "
            f"tests/test_expected_schema.py -n 0\n{diff}")
    assert "CREATE FUNCTION recon.fix(" in dump and "CREATE TABLE _recon.check_def" in dump
