-- _recon.ledger_written_since(): a table under a ledger updated or deleted from since a point.
CREATE OR REPLACE FUNCTION _recon.ledger_written_since(p_relid oid, p_since xid8)
RETURNS regclass
LANGUAGE sql
STABLE
STRICT
SET search_path = pg_catalog, pg_temp
AS $body$
    -- A transaction below p_since (a snapshot's xmin) had ended when that snapshot was taken,
    -- so what it wrote was read then; one at or above it may not have been.
    SELECT min(w.relid)::regclass
    FROM _recon.incremental_tables(p_relid) AS t
    JOIN _recon.ledger_write AS w ON w.relid = t.relid AND w.xid >= p_since;
$body$;

COMMENT ON FUNCTION _recon.ledger_written_since(oid, xid8) IS
'A table under the ledger (_recon.incremental_tables) on which an UPDATE or DELETE was '
'recorded by a transaction at or after p_since (a watermark''s snapshot_xmin), or NULL: exact, '
'read from _recon.ledger_write in the caller''s snapshot (docs/INCREMENTAL.md).';

REVOKE EXECUTE ON FUNCTION _recon.ledger_written_since(oid, xid8) FROM PUBLIC;
