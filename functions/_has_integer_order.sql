-- _recon.has_integer_order(): whether a ledger's entries carry an integer ordering id.
CREATE OR REPLACE FUNCTION _recon.has_integer_order(p_ledger _recon.ledger_source)
RETURNS boolean
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT p_ledger.order_column IS NOT NULL
       AND _recon.column_type(p_ledger.relid, p_ledger.order_column)
           IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype);
$body$;

COMMENT ON FUNCTION _recon.has_integer_order(_recon.ledger_source) IS
'True when the ledger was registered with an integer "order_by" column (an identity or sequence): '
'incremental mode needs one.';

REVOKE EXECUTE ON FUNCTION _recon.has_integer_order(_recon.ledger_source) FROM PUBLIC;
