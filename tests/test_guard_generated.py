"""The drift guard's generated trigger functions, for two fixtures and both modes, against
tests/expected/: a change to the generator is a readable diff there (issue 18 item 6).

Regenerate after an intended change, then read the diff:

    WALLET_RECON_UPDATE_EXPECTED=1 .venv/bin/python -m pytest tests/test_guard_generated.py -n 0
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

EXPECTED = Path(__file__).resolve().parent / "expected"
UPDATE = os.environ.get("WALLET_RECON_UPDATE_EXPECTED") == "1"

#: (file name, ledger source, mode), enabled in this order in one database (ids 1 to 4): a
#: one-sided ledger (seed 000) and a transfer-row ledger (the bank test's), warn and block
CASES = [("seed000_warn", "s0_ledger", "warn"), ("seed000_block", "s0_ledger", "block"),
         ("transfers_warn", "xbank_transactions", "warn"),
         ("transfers_block", "xbank_transactions", "block")]


def test_generated_drift_guard_functions_are_as_expected(
        make_db: Callable[..., str], fixture_template: Callable[..., str]) -> None:
    dsn = make_db(fixture_template("seed000.sql", "seed000_register.sql", "bank_transfers.sql"))
    differ = []
    with psycopg.connect(dsn, autocommit=True) as c:
        for n, (name, ledger, mode) in enumerate(CASES, 1):
            gid = c.execute("SELECT (recon.enable_guard('drift', %s, jsonb_build_object("
                            "'mode', %s::text))) ->> 'guard'", (ledger, mode)).fetchone()[0]
            assert gid == str(n)  # ids are part of the text: the same every run
            text = c.execute("""
                SELECT string_agg(pg_get_functiondef(p.oid), E'\\n' ORDER BY p.proname)
                FROM pg_proc AS p
                WHERE p.pronamespace = '_recon'::regnamespace
                  AND p.proname LIKE 'tg\\_drift\\_' || %s || '\\_%%'""", (gid,)).fetchone()[0]
            # a table's oid differs from run to run
            text = re.sub(r"\b\d+::pg_catalog\.oid\b", "<table oid>::pg_catalog.oid", text)
            c.execute("SELECT recon.disable_guard('drift', %s)", (ledger,))
            path = EXPECTED / f"drift_{name}.sql"
            if UPDATE:
                path.write_text(text)
            assert path.exists(), f"{path} missing: WALLET_RECON_UPDATE_EXPECTED=1 writes it"
            if text != path.read_text():
                differ.append(path.name)
    assert differ == [], (
        f"the generated functions differ from {differ}: if intended, regenerate "
        "(WALLET_RECON_UPDATE_EXPECTED=1, see this file's docstring) and commit the diff")


def test_a_template_slot_without_value_or_a_value_without_slot_is_an_error(
        conn: psycopg.Connection) -> None:
    def fill(template: str, slots: str) -> str:
        return conn.execute("SELECT _recon.template_fill(%s, %s::jsonb)",
                            (template, slots)).fetchone()[0]

    # filled in one pass, multi-line values indented to their slot, an empty slot's line gone
    assert fill("IF {{c}} THEN\n    {{body}}\n    {{none}}\nEND IF; -- {{c}}",
                '{"c": "x {{body}}", "body": "a;\\nb;", "none": ""}') == (
        "IF x {{body}} THEN\n    a;\n    b;\nEND IF; -- x {{body}}")
    for slots, wrong in [('{"a": "1"}', "slot {{b}} has no value"),
                         ('{"a": "1", "b": null}', "slot {{b}} has no value"),
                         ('{"a": "1", "b": "2", "c": "3"}', "value c fills no slot")]:
        with pytest.raises(psycopg.errors.InternalError_, match=wrong.replace("{", r"\{")):
            fill("{{a}} {{b}}", slots)
