-- _recon.ledger_written_since(): why the entries under a ledger changed since a point, or NULL.
CREATE OR REPLACE FUNCTION _recon.ledger_written_since(p_relid oid, p_since xid8)
RETURNS text
LANGUAGE sql
STABLE
STRICT
SET search_path = pg_catalog, pg_temp
AS $body$
    -- A transaction below p_since (a snapshot's xmin) had ended when that snapshot was taken,
    -- so what it wrote was read then; one at or above it may not have been.
    SELECT CASE
        WHEN bool_or(w.what <> 'INSERT') THEN
            format('ledger entries were updated or deleted since the watermark (%s)',
                   min(w.relid::regclass::text) FILTER (WHERE w.what <> 'INSERT'))
        WHEN count(*) > 0 THEN
            format('an entry was inserted with an ordering id at or below a published bound '
                   || 'since the watermark (%s): a writer supplied it, or took it long before',
                   min(w.relid::regclass::text))
    END
    FROM _recon.incremental_tables(p_relid) AS t
    JOIN _recon.ledger_write AS w ON w.relid = t.relid AND w.xid >= p_since;
$body$;

COMMENT ON FUNCTION _recon.ledger_written_since(oid, xid8) IS
'Why the entries under a ledger (_recon.incremental_tables) may have changed unseen since '
'p_since (a watermark''s snapshot_xmin): an UPDATE or DELETE, or an INSERT at or below a '
'published bound, recorded in _recon.ledger_write by a transaction at or after it; else NULL. '
'Exact: read in the caller''s snapshot (docs/INCREMENTAL.md).';

REVOKE EXECUTE ON FUNCTION _recon.ledger_written_since(oid, xid8) FROM PUBLIC;
