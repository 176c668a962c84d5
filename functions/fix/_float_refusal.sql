-- _recon.float_refusal(): why a writer or a repair cannot write a ledger's float columns.
CREATE OR REPLACE FUNCTION _recon.float_refusal(p_ledger _recon.ledger_source)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- The amount and running balances a writer posts: a float cannot hold them exactly.
    RETURN (
        SELECT format('%s of %s %s of a float type (%s)',
                      CASE WHEN count(*) > 1 THEN 'columns' ELSE 'column' END,
                      p_ledger.relid::regclass, CASE WHEN count(*) > 1 THEN 'are' ELSE 'is' END,
                      string_agg(format('%I %s', c, _recon.column_type(p_ledger.relid, c::name)),
                                 ', ' ORDER BY c))
        FROM (SELECT p_ledger.amount_column::text AS c
              UNION SELECT p_ledger.balance_after_column
              UNION SELECT a.value #>> '{}' FROM jsonb_each(p_ledger.after_columns) AS a) AS u
        WHERE c IS NOT NULL
          AND _recon.column_type(p_ledger.relid, c::name)
              IN ('real'::regtype, 'double precision'::regtype)
        HAVING count(*) > 0);
END;
$body$;

COMMENT ON FUNCTION _recon.float_refusal(_recon.ledger_source) IS
'NULL when the ledger''s amount and running-balance columns are exact types; else why a writer '
'(recon.register_writer) or a repair (recon.fix) refuses to post into it: the float columns '
'(real, double precision) named with their types. RC320 (docs/SQLSTATES.md).';

REVOKE EXECUTE ON FUNCTION _recon.float_refusal(_recon.ledger_source) FROM PUBLIC;
