"""docs/API.md is the catalog's `COMMENT ON` text of a fresh install, regenerated here: a stale
file fails. WALLET_RECON_UPDATE_API_DOC=1 rewrites it instead (see its header)."""

from __future__ import annotations

import os

from migrator.apidoc import generate

from conftest import ROOT

API_MD = ROOT / "docs" / "API.md"


def test_api_doc_is_current(db: str) -> None:
    # db: a clone of the template database that `wallet-recon install` installed, nothing else
    text = generate(db)
    if os.environ.get("WALLET_RECON_UPDATE_API_DOC") == "1":
        API_MD.write_text(text)
    assert API_MD.read_text() == text, (
        "docs/API.md is not current: regenerate it with WALLET_RECON_UPDATE_API_DOC=1 "
        ".venv/bin/python -m pytest tests/test_apidoc.py -n 0")


def test_api_doc_covers_every_public_object(db: str) -> None:
    """Every function, view and type of the schema recon has its section, and its comment."""
    import psycopg

    with psycopg.connect(db) as c:
        names = [r[0] for r in c.execute(
            "SELECT proname FROM pg_proc WHERE pronamespace = 'recon'::regnamespace"
            " UNION SELECT relname FROM pg_class WHERE relnamespace = 'recon'::regnamespace"
            " AND relkind IN ('v', 'c')")]
    text = API_MD.read_text()
    assert len(names) > 30
    assert [n for n in names if f"### recon.{n}\n" not in text
            and f"### recon.{n} (" not in text] == []
    assert "*(no comment)*" not in text
    assert "recon.fix(run_id bigint DEFAULT NULL::bigint" in text  # signatures with defaults
