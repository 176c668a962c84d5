-- _recon.backfill_plan(): stage a backfill: one new wallet per missing owner.
CREATE OR REPLACE FUNCTION _recon.backfill_plan(p_check _recon.check_def, p_target jsonb)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ws _recon.wallet_source := _recon.wallet(p_check.wallet_source);
    v_ledger _recon.ledger_source := _recon.ledger(p_target ->> 'ledger');
    v_col text := p_target ->> 'column';
    v_stage bigint := nextval('_recon.fix_stage_seq');
BEGIN
    -- one new wallet per missing owner, opening at the owner's legacy balance
    EXECUTE format($q$
        INSERT INTO _recon.fix_stage (
            stage_id, step, check_name, kind, finding_key, wallet_source, wallet_key,
            ledger_source, strategy, amount, postings, moves, stored_before, stored_after,
            status, repair_key, finding_id
        )
        SELECT $1, row_number() OVER (ORDER BY m.owner), $2, 'coverage', m.owner, $3, m.k, $4,
               'backfill', abs(m.opening),
               CASE WHEN m.opening IS NULL OR m.opening = 0 THEN '[]'::jsonb
                    ELSE jsonb_build_array(jsonb_build_object(
                   'wallet', m.k, 'deltas', jsonb_build_object($5, m.opening),
                   'purpose', 'opening', 'owner', m.owner,
                   'reference', 'OPENING-' || m.owner)) END,
               jsonb_strip_nulls(jsonb_build_object($5, m.opening)),
               (SELECT jsonb_object_agg(b, 0) FROM unnest($6::text[]) AS b),
               (SELECT jsonb_object_agg(b, CASE WHEN b = $5 THEN m.opening ELSE 0 END)
                FROM unnest($6::text[]) AS b),
               -- once per owner and wallet table: a source dropped and registered again over a
               -- new table (e.g. the demo run twice) starts afresh
               'planned', format('backfill:%%s:%%s:%%s', $3, $7, m.owner),
               (SELECT f.id FROM _recon.finding AS f
                WHERE f.check_name = $2 AND f.wallet_key = m.owner AND f.resolved_run IS NULL
                  AND f.dropped_at IS NULL LIMIT 1)
        FROM (
            SELECT v.wallet_key AS owner, %s AS opening, %s AS k
            FROM recon.%I AS v
            CROSS JOIN LATERAL (SELECT jsonb_build_object('owner', v.wallet_key) AS j) AS x
        ) AS m$q$,
        -- the legacy balance as it is: a NULL one is not an opening balance of 0
        CASE WHEN p_check.options ? 'owner_balance' THEN format(
            '(SELECT o.%I::numeric FROM %s AS o WHERE o.%I::text = v.wallet_key)',
            p_check.options ->> 'owner_balance', (p_target ->> 'owner_table')::oid::regclass,
            p_check.options ->> 'owner_key') ELSE '0::numeric' END,
        p_target ->> 'key_sql', p_check.view_name)
    USING v_stage, p_check.name, v_ws.name, v_ledger.name, v_col, v_ws.balance_columns,
        v_ws.relid::oid::text;
    -- a legacy balance that is not an amount, or that the columns cannot hold: a human's
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('legacy balance %s is not an amount: needs a human',
                      COALESCE(s.moves ->> v_col, 'NULL'))
    WHERE s.stage_id = v_stage
      AND (s.moves ->> v_col IS NULL
           OR (s.moves ->> v_col)::numeric IN ('NaN', 'Infinity', '-Infinity'));
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('legacy balance %s does not fit %s (%s) or %s (%s): needs a human',
                      s.moves ->> v_col, v_col, _recon.column_type_sql(v_ws.relid, v_col),
                      v_ledger.amount_column,
                      _recon.column_type_sql(v_ledger.relid, v_ledger.amount_column))
    WHERE s.stage_id = v_stage AND s.status = 'planned'
      AND NOT (_recon.column_holds(v_ws.relid, v_col, (s.moves ->> v_col)::numeric)
               AND _recon.column_holds(v_ledger.relid, v_ledger.amount_column,
                                       abs((s.moves ->> v_col)::numeric)));
    RETURN v_stage;
END;
$body$;

COMMENT ON FUNCTION _recon.backfill_plan(_recon.check_def, jsonb) IS
'Phase 2 of recon.backfill: stages one step per owner the coverage check p_check finds without '
'a wallet (its new key from the template, its opening entry at the owner''s legacy balance), '
'and leaves to a human (status manual) a legacy balance that is not an amount or does not fit '
'the balance or amount column. p_target: _recon.backfill_target''s. Returns the stage id.';

REVOKE EXECUTE ON FUNCTION _recon.backfill_plan(_recon.check_def, jsonb) FROM PUBLIC;
