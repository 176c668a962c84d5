-- _recon.guard_drift_seal_sql(): the generated PL/pgSQL adding one amount to a block-mode drift
-- guard's sealed accumulator, the transaction's rows of _recon.guard_spill.
CREATE OR REPLACE FUNCTION _recon.guard_drift_seal_sql(
    p_guard integer, p_col integer, p_kind text, p_key text, p_num text, p_skip text
)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- In block mode the row trigger functions are SECURITY DEFINER: they write the toolkit's
    -- table, which the writer cannot write, read or empty; a setting (which SET, RESET ALL,
    -- set_config and DISCARD reach) holds nothing the verdict trusts. A rollback to a savepoint
    -- takes the row back with the rows that wrote it. NULL counts as NaN (never balances).
    -- v_fresh: this row wrote a sum for the first time in the transaction (writes = 1), so the
    -- function ends by making sure the commit-time check is queued (guard_drift_queue_sql); a
    -- sum added to again was first written in this transaction, or a savepoint it kept, with
    -- the check queued then.
    SELECT format(
        E'%1$sINSERT INTO _recon.guard_spill AS s (txid, guard_id, item, col, stored, ledger)\n'
        || E'%2$s    VALUES (pg_catalog.pg_current_xact_id(), %3$s, %4$s, %5$s, %6$s, %7$s)\n'
        || E'%2$s    ON CONFLICT (txid, guard_id, item, col) DO UPDATE\n'
        || E'%2$s    SET stored = s.stored OPERATOR(pg_catalog.+) excluded.stored,\n'
        || E'%2$s        ledger = s.ledger OPERATOR(pg_catalog.+) excluded.ledger,\n'
        || E'%2$s        writes = s.writes OPERATOR(pg_catalog.+) 1\n'
        || E'%2$s    RETURNING v_fresh OR s.writes OPERATOR(pg_catalog.=) 1 INTO v_fresh;%8$s',
        CASE WHEN p_skip IS NULL THEN ''
             ELSE format(E'IF (%s) IS NOT TRUE THEN\n    ', p_skip) END,
        CASE WHEN p_skip IS NULL THEN '' ELSE '    ' END,
        p_guard, p_key, p_col,
        CASE p_kind WHEN 's' THEN format('COALESCE((%s)::pg_catalog.numeric, ''NaN'')', p_num)
                    ELSE '0' END,
        CASE p_kind WHEN 'l' THEN format('COALESCE((%s)::pg_catalog.numeric, ''NaN'')', p_num)
                    ELSE '0' END,
        CASE WHEN p_skip IS NULL THEN '' ELSE E'\nEND IF;' END);
$body$;

COMMENT ON FUNCTION _recon.guard_drift_seal_sql(integer, integer, text, text, text, text) IS
'Generated PL/pgSQL (for a block-mode drift guard''s SECURITY DEFINER row trigger function) '
'adding amount p_num (an SQL expression; NULL counts as NaN) of kind p_kind (s: stored change, '
'l: ledger effect) for balance column number p_col under key p_key to the transaction''s row '
'of _recon.guard_spill, unless condition p_skip holds (an amount of zero); v_fresh becomes '
'true when the row was new (its writes = 1).';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_seal_sql(
    integer, integer, text, text, text, text
) FROM PUBLIC;
