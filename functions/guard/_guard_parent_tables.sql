-- _recon.guard_parent_tables(): the tables a ledger source reads parent rows from.
CREATE OR REPLACE FUNCTION _recon.guard_parent_tables(p_ledger _recon.ledger_source)
RETURNS TABLE (relid oid, n bigint, aliases jsonb)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- numbered in the order the legs relation joins them (their first alias's), each with its
    -- aliases {alias: {"relid", "key", "via", "order"}}: one table may serve several (a
    -- transaction and its parent transaction)
    SELECT (p.value ->> 'relid')::oid,
           row_number() OVER (ORDER BY min((p.value ->> 'order')::integer)),
           jsonb_object_agg(p.key, p.value)
    FROM jsonb_each(p_ledger.parents) AS p
    GROUP BY (p.value ->> 'relid')::oid
    ORDER BY 2;
$body$;

COMMENT ON FUNCTION _recon.guard_parent_tables(_recon.ledger_source) IS
'The tables a ledger source''s parents live in, numbered n (the guards name their triggers '
'and compiled SQL parent<n>_...), each with its aliases {alias: spec}. None without parents.';

REVOKE EXECUTE ON FUNCTION _recon.guard_parent_tables(_recon.ledger_source) FROM PUBLIC;
