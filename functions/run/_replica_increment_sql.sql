-- _recon.replica_increment_sql(): what a balance check's increment reads, on a standby.
CREATE OR REPLACE FUNCTION _recon.replica_increment_sql(p_check _recon.check_def, p_inc jsonb)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ledger _recon.ledger_source := _recon.ledger(p_check.ledger_source);
    v_wallet _recon.wallet_source := _recon.wallet(v_ledger.wallet_source);
    v_key_type regtype := _recon.column_type(v_wallet.relid, v_wallet.key_column);
BEGIN
    -- The CTEs of _recon.balance_increment's steps 2 and 3, read-only: d, the settled entries
    -- between the two bounds (step 2 adds them to the state); t, the entries above the new
    -- bound (summed on the fly); wp, the one pass over the wallets (rows written at or after
    -- the watermark's snapshot_xmin, $1: their keys; the count of the others); rk, the keys to
    -- re-check, the same union as _recon.balance_recheck_sql's (with the open findings').
    RETURN format($q$d AS MATERIALIZED (%1$s),
        t AS MATERIALIZED (%2$s),
        wp AS MATERIALIZED (
            SELECT count(*) FILTER (WHERE age(w.xmin) > age($1)) AS old_rows,
                   COALESCE(array_agg(w.%3$I) FILTER (WHERE age(w.xmin) <= age($1)),
                            ARRAY[]::%4$s[]) AS new_keys
            FROM %5$s AS w),
        rk AS MATERIALIZED (SELECT ARRAY(
            SELECT t.k FROM t
            UNION SELECT x.k FROM wp CROSS JOIN LATERAL unnest(wp.new_keys) AS x (k)
            UNION SELECT o.wallet_key::%4$s FROM _recon.finding AS o
                  WHERE o.check_name = %6$L AND o.resolved_run IS NULL AND o.dropped_at IS NULL
                    AND o.wallet_key IS NOT NULL
            UNION SELECT d.k::text::%4$s FROM d) AS ks)$q$,
        _recon.balance_agg_sql(p_check.options, format('l.ord > %s AND l.ord <= %s',
                                                       (p_inc ->> 'order_bound')::numeric,
                                                       (p_inc ->> 'new_bound')::numeric)),
        _recon.balance_agg_sql(p_check.options,
                               format('l.ord > %s', (p_inc ->> 'new_bound')::numeric)),
        v_wallet.key_column, v_key_type, v_wallet.relid::regclass, p_check.name);
END;
$body$;

COMMENT ON FUNCTION _recon.replica_increment_sql(_recon.check_def, jsonb) IS
'The read-only CTEs of an incremental balance check read on a standby, for the increment p_inc '
'(recon.replica_increment_target): d (entries between the two bounds, per wallet), t (entries '
'above the new bound), wp (wallet rows written since $1, the watermark''s snapshot_xmin as '
'xid: their keys; the count of the others) and rk (the keys to re-check: those, plus the open '
'findings''), as _recon.balance_add_settled and _recon.balance_recheck_sql read them.';

REVOKE EXECUTE ON FUNCTION _recon.replica_increment_sql(_recon.check_def, jsonb) FROM PUBLIC;
