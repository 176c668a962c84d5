-- _recon.replica_state_advance(): on the primary, a balance check's state and watermark moved
-- on by an incremental run read on a standby.
CREATE OR REPLACE FUNCTION _recon.replica_state_advance(
    p_check _recon.check_def, p_run bigint, p_inc jsonb, p_new_keys text[], p_wallet_rows bigint
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_sums text;
    v_inserted bigint;
BEGIN
    -- What _recon.balance_increment writes after its re-check, from the increment the target
    -- recorded (p_inc): the settled entries between the two bounds added to the sums, read here
    -- (the caller has shown that none of them changed since the target: nothing is taken from
    -- the result but the wallet pass), the wallets written since that were no wallet then, the
    -- state's mark and the watermark at the new bound.
    SELECT string_agg('a.s' || i, ', ' ORDER BY i) INTO v_sums
    FROM generate_series(1, cardinality(_recon.balance_columns(p_check.options))) AS i;
    SELECT s.p_inserted INTO v_inserted
    FROM _recon.balance_add_settled(p_check, (p_inc ->> 'order_bound')::numeric,
                                    (p_inc ->> 'new_bound')::numeric, v_sums) AS s;
    IF cardinality(p_new_keys) > 0 THEN
        EXECUTE format('INSERT INTO %s AS s (k, n, n_amount, n_bad, sums, has_wallet) '
                       || 'SELECT x.k::%s, 0, 0, 0, ARRAY[]::numeric[], TRUE '
                       || 'FROM unnest($1) AS x (k) ON CONFLICT (k) DO UPDATE SET has_wallet = TRUE',
                       _recon.balance_state_table(p_check.name),
                       _recon.column_type(_recon.balance_state_table(p_check.name), 'k'))
        USING p_new_keys;
    END IF;
    UPDATE _recon.balance_state_mark AS g SET run_id = p_run WHERE g.check_name = p_check.name;
    UPDATE _recon.watermark AS m
    SET run_id = p_run, order_bound = (p_inc ->> 'new_bound')::numeric,
        snapshot_xmin = (p_inc ->> 'next_xmin')::xid8, state_rows = m.state_rows + v_inserted,
        taken_at = now(), wallet_rows = p_wallet_rows
    WHERE m.check_name = p_check.name;
    PERFORM _recon.ledger_write_prune();
END;
$body$;

COMMENT ON FUNCTION _recon.replica_state_advance(
    _recon.check_def, bigint, jsonb, text[], bigint
) IS
'On the primary, for recon.record_replica_run (under the reconcile lock, the increment shown '
'still valid): moves balance check p_check''s per-wallet state and watermark on to run p_run as '
'_recon.balance_increment does: the entries between the bounds the target settled (p_inc) '
'added (_recon.balance_add_settled), the keys p_new_keys marked as wallets, the mark, the '
'watermark at the new bound and snapshot_xmin with p_wallet_rows wallet rows. The state''s one '
'writer for the standby path.';

REVOKE EXECUTE ON FUNCTION _recon.replica_state_advance(
    _recon.check_def, bigint, jsonb, text[], bigint
) FROM PUBLIC;
