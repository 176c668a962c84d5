-- _recon.fix_skip_unfit_more(): the offset wallets' balances, and balances at a per-row scale,
-- that a plan's steps would leave beyond what their columns hold.
CREATE OR REPLACE FUNCTION _recon.fix_skip_unfit_more(p_stage bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ws _recon.wallet_source;
    v_offsets jsonb;
    v_now jsonb;
    v_scales jsonb;
BEGIN
    FOR v_ws IN SELECT DISTINCT w.* FROM _recon.fix_stage AS s
                JOIN _recon.wallet_source AS w ON w.name = s.wallet_source
                WHERE s.stage_id = p_stage AND s.status = 'planned' LOOP
        -- 1. A per-row scale (Blnk's precision): the wallet's stored balance is written as
        --    whole minor units at its row's scale (RC321 otherwise, failing the whole fix).
        IF v_ws.balance_scale ? 'column' THEN
            -- the wallets' scales, read (_recon.fix_read: on a standby when recon.replica_fix
            -- plans): per wallet, its scale column as text and its decimal places
            v_scales := _recon.fix_read(format($q$
                SELECT COALESCE(jsonb_agg(jsonb_build_object(
                           'k', w.%3$I::text, 'raw', w.%1$I::text, 'places', p.places)), '[]')
                FROM %2$s AS w
                CROSS JOIN LATERAL (SELECT CASE WHEN %4$L = 'places'
                                                THEN w.%1$I::integer
                                                WHEN w.%1$I::text ~ '^10{0,38}$'
                                                THEN length(w.%1$I::text) - 1 END AS places
                ) AS p
                WHERE w.%3$I::text = ANY ($1)$q$,
                v_ws.balance_scale ->> 'column', v_ws.relid::regclass, v_ws.key_column,
                v_ws.balance_scale ->> 'as'),
                ARRAY(SELECT b.wallet_key FROM _recon.fix_wallet_moves(p_stage) AS b
                      WHERE b.wallet_source = v_ws.name));
            UPDATE _recon.fix_stage AS s SET status = 'skipped', note = o.note
            FROM (
                SELECT DISTINCT ON (b.wallet_key) b.wallet_key,
                       format('would not fit %s (whole minor units at %s = %s): %s -> %s',
                              b.col, v_ws.balance_scale ->> 'column', w.raw, b.before,
                              b.before + b.moved) AS note
                FROM _recon.fix_wallet_moves(p_stage) AS b
                JOIN jsonb_to_recordset(v_scales) AS w (k text, raw text, places integer)
                    ON w.k = b.wallet_key
                WHERE b.wallet_source = v_ws.name
                  AND (w.places IS NULL OR w.places NOT BETWEEN 0 AND 38
                       OR (b.before + b.moved) * ('1e' || w.places)::numeric
                          <> trunc((b.before + b.moved) * ('1e' || w.places)::numeric))
                ORDER BY b.wallet_key, b.first_step
            ) AS o
            WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.wallet_source = v_ws.name
              AND s.wallet_key = o.wallet_key;
        END IF;
        -- 2. The offset wallets: what every planned posting against one moves it by (the
        --    opposite side of a double entry), from its stored balance now.
        SELECT jsonb_object_agg(x.wallet, x.moves) INTO v_offsets FROM (
            SELECT o.wallet, jsonb_object_agg(o.col, o.moved) AS moves FROM (
                SELECT CASE WHEN e.value ? 'offset_wallet' THEN e.value ->> 'offset_wallet'
                            ELSE wr.offset_wallet END AS wallet,
                       d.key AS col, sum(d.value::numeric) AS moved
                FROM _recon.fix_stage AS s
                JOIN _recon.writer AS wr ON wr.ledger_source = s.ledger_source
                CROSS JOIN LATERAL jsonb_array_elements(s.postings) AS e
                CROSS JOIN LATERAL jsonb_each_text(_recon.fix_offset_deltas(e.value)) AS d
                WHERE s.stage_id = p_stage AND s.status = 'planned'
                  AND s.wallet_source = v_ws.name
                  AND CASE WHEN e.value ? 'offset_wallet' THEN e.value ->> 'offset_wallet'
                           ELSE wr.offset_wallet END IS NOT NULL
                GROUP BY 1, 2
            ) AS o GROUP BY o.wallet
        ) AS x;
        CONTINUE WHEN v_offsets IS NULL;
        v_now := _recon.fix_measure(v_ws.name, ARRAY(SELECT jsonb_object_keys(v_offsets)), '{}');
        UPDATE _recon.fix_stage AS s
        SET status = 'skipped',
            note = format('would not fit %s (%s) of the offset wallet %s: %s -> %s', u.col,
                          _recon.column_type_sql(v_ws.relid, u.col), u.wallet, u.before,
                          u.before + u.moved)
        FROM (
            SELECT DISTINCT ON (b.wallet) b.wallet, b.col, b.before, b.moved
            FROM (
                SELECT o.key AS wallet, m.key AS col, m.value::numeric AS moved,
                       (v_now -> o.key -> 'stored' ->> m.key)::numeric
                       -- and what the plan moves it by as a wallet of its own steps
                       + COALESCE((SELECT sum((y.moves ->> m.key)::numeric)
                                   FROM _recon.fix_stage AS y
                                   WHERE y.stage_id = p_stage AND y.status = 'planned'
                                     AND y.wallet_source = v_ws.name
                                     AND y.wallet_key = o.key), 0) AS before
                FROM jsonb_each(v_offsets) AS o, jsonb_each_text(o.value) AS m
            ) AS b
            WHERE NOT _recon.column_holds(v_ws.relid, b.col::name, b.before + b.moved)
            ORDER BY b.wallet, b.col
        ) AS u
        WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.wallet_source = v_ws.name
          AND EXISTS (
              SELECT FROM jsonb_array_elements(s.postings) AS e
              JOIN _recon.writer AS wr ON wr.ledger_source = s.ledger_source
              WHERE CASE WHEN e.value ? 'offset_wallet' THEN e.value ->> 'offset_wallet'
                         ELSE wr.offset_wallet END = u.wallet);
    END LOOP;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_skip_unfit_more(bigint) IS
'Phase of _recon.fix_skip_unfit: skips a wallet''s planned steps whose stored balance, at a '
'per-row scale (a "scale" {"column": c}), would not be a whole number of minor units at its '
'row''s scale (the write would fail the whole fix, RC321); and every planned step posting against '
'an offset wallet whose stored balance, moved by all of them (and its own steps), would not fit '
'its column (numeric(14,2) and 1e12, a third decimal): the note names the offset wallet.';

REVOKE EXECUTE ON FUNCTION _recon.fix_skip_unfit_more(bigint) FROM PUBLIC;
