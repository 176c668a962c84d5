-- _recon.ledger_bound_sequence(): where the runs publish a ledger's bounds, or NULL.
CREATE OR REPLACE FUNCTION _recon.ledger_bound_sequence(p_relid oid)
RETURNS text
LANGUAGE sql
STABLE
STRICT
SET search_path = pg_catalog, pg_temp
AS $body$
    -- the second argument of the trigger recon_ledger_order on the ledger's tables
    SELECT min(split_part(encode(g.tgargs, 'escape'), '\000', 2))
    FROM _recon.incremental_tables(p_relid) AS t
    JOIN pg_catalog.pg_trigger AS g
        ON g.tgrelid = t.relid AND g.tgname = 'recon_ledger_order'
       AND g.tgfoid = '_recon.tg_ledger_order()'::pg_catalog.regprocedure;
$body$;

COMMENT ON FUNCTION _recon.ledger_bound_sequence(oid) IS
'The sequence in which incremental runs publish the bounds they take for a ledger (the '
'argument of its trigger recon_ledger_order), or NULL when it has none.';

REVOKE EXECUTE ON FUNCTION _recon.ledger_bound_sequence(oid) FROM PUBLIC;
