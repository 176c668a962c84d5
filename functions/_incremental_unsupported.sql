-- _recon.incremental_unsupported(): why a ledger can never run incrementally, or NULL.
CREATE OR REPLACE FUNCTION _recon.incremental_unsupported(p_ledger _recon.ledger_source)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT CASE
        WHEN p_ledger.order_column IS NULL
            OR _recon.column_type(p_ledger.relid, p_ledger.order_column)
               NOT IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype)
            THEN 'the ledger has no integer ordering column ("order_by")'
        WHEN p_ledger.parents IS NOT NULL
            THEN 'the ledger reads parent rows: a change there changes which entries count, and '
                 || 'how, without touching the ledger'
        WHEN EXISTS (
            SELECT FROM pg_catalog.pg_class AS c
            WHERE c.relkind <> 'r' AND c.oid IN (
                p_ledger.relid,
                (SELECT w.relid FROM _recon.wallet_source AS w
                 WHERE w.name = p_ledger.wallet_source)
            )
        ) THEN 'a partitioned table or a view: no storage id, statistics or xmin to rely on'
    END;
$body$;

COMMENT ON FUNCTION _recon.incremental_unsupported(_recon.ledger_source) IS
'NULL when a ledger and its wallets can run incrementally, else why not: incremental mode needs '
'an integer "order_by" column (an identity or sequence) and plain tables (a partitioned table '
'or a view has no storage id, statistics or xmin of its own).';

REVOKE EXECUTE ON FUNCTION _recon.incremental_unsupported(_recon.ledger_source) FROM PUBLIC;
