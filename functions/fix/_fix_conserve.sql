-- _recon.fix_conserve(): the wallets a repair touched, before and after it, per wallet source.
CREATE OR REPLACE FUNCTION _recon.fix_conserve(p_stage bigint, p_pre jsonb, p_before jsonb)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_source text;
    v_measure jsonb := '{}'::jsonb;
    v_bad text;
    v_ledgers text[];
BEGIN
    -- 1. Measure every wallet the repair locked (offset wallets included): stored balances,
    --    and the effects of the ledgers it posts into. Called before posting (p_before NULL)
    --    and after moving the stored balances.
    FOR v_source IN SELECT k.key FROM jsonb_each(COALESCE(p_pre -> 'keys', '{}')) AS k
                    ORDER BY k.key LOOP
        v_ledgers := ARRAY(SELECT DISTINCT s.ledger_source FROM _recon.fix_stage AS s
                           JOIN _recon.ledger_source AS l ON l.name = s.ledger_source
                           WHERE s.stage_id = p_stage AND s.status = 'applied'
                             AND s.postings <> '[]' AND l.wallet_source = v_source);
        v_measure := v_measure || jsonb_build_object(v_source, _recon.fix_measure(
            v_source, ARRAY(SELECT jsonb_array_elements_text(p_pre -> 'keys' -> v_source)),
            v_ledgers));
    END LOOP;
    IF p_before IS NULL THEN
        RETURN v_measure;
    END IF;

    -- 2. Per currency (each wallet's own), wallet source or ledger, and column: what moved,
    --    against what the applied steps planned (recon.fix_step's stored_change and
    --    ledger_change). Anything else, in any currency, and nothing is applied.
    WITH moved AS (
        SELECT COALESCE(a.value ->> 'currency', '-') AS currency,
               'stored balances of ' || x.key AS what, st.key AS col,
               st.value::numeric - COALESCE((p_before -> x.key -> a.key -> 'stored'
                                            ->> st.key)::numeric, 0) AS delta
        FROM jsonb_each(v_measure) AS x, jsonb_each(x.value) AS a,
             jsonb_each_text(a.value -> 'stored') AS st
        -- not a GENERATED column computed from the others: it moves as they do
        WHERE st.key <> ALL (_recon.derived_balance_columns(_recon.wallet(x.key)))
        UNION ALL
        SELECT COALESCE(a.value ->> 'currency', '-'), 'ledger ' || lg.key, e.key,
               e.value::numeric - COALESCE((p_before -> x.key -> a.key -> 'ledger' -> lg.key
                                           ->> e.key)::numeric, 0)
        FROM jsonb_each(v_measure) AS x, jsonb_each(x.value) AS a,
             jsonb_each(a.value -> 'ledger') AS lg, jsonb_each_text(lg.value) AS e
        UNION ALL  -- a wallet whose entries in a ledger are all gone
        SELECT COALESCE(a.value ->> 'currency', '-'), 'ledger ' || lg.key, e.key,
               -(e.value::numeric)
        FROM jsonb_each(p_before) AS x, jsonb_each(x.value) AS a,
             jsonb_each(a.value -> 'ledger') AS lg, jsonb_each_text(lg.value) AS e
        WHERE NOT v_measure -> x.key -> a.key -> 'ledger' -> lg.key ? e.key
    ), planned AS (
        SELECT COALESCE(p_pre -> 'currency' -> s.wallet_source ->> s.wallet_key, '-')
                   AS currency,
               'stored balances of ' || s.wallet_source AS what, d.key AS col,
               d.value::numeric AS delta
        FROM _recon.fix_stage AS s, jsonb_each_text(s.stored_change) AS d
        WHERE s.stage_id = p_stage AND s.status = 'applied'
        UNION ALL
        SELECT COALESCE(p_pre -> 'currency' -> s.wallet_source ->> s.wallet_key, '-'),
               'ledger ' || s.ledger_source, d.key, d.value::numeric
        FROM _recon.fix_stage AS s, jsonb_each_text(s.ledger_change) AS d
        WHERE s.stage_id = p_stage AND s.status = 'applied'
    ), cmp AS (
        SELECT t.currency, t.what, t.col, sum(t.delta) FILTER (WHERE t.side = 'moved') AS moved,
               sum(t.delta) FILTER (WHERE t.side = 'planned') AS planned
        FROM (SELECT 'moved' AS side, m.* FROM moved AS m
              UNION ALL
              SELECT 'planned', p.* FROM planned AS p) AS t
        GROUP BY t.currency, t.what, t.col
    )
    SELECT string_agg(format('%s %s %s: planned %s, moved %s', c.currency, c.what, c.col,
                             COALESCE(c.planned, 0), COALESCE(c.moved, 0)), '; '
                      ORDER BY c.currency, c.what, c.col)
    INTO v_bad
    FROM cmp AS c
    WHERE COALESCE(c.moved, 0) <> COALESCE(c.planned, 0);
    IF v_bad IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC307', 'the repair did not conserve: totals moved other than planned; nothing was '
                     || 'applied',
            v_bad,
            'A writer or posting function posted something other than the plan (or moved '
            || 'balances itself), an offset wallet holds another currency, or something else '
            || 'moved these wallets. Check the writer (recon.register_writer) and run the dry '
            || 'run again.');
    END IF;
    RETURN v_measure;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_conserve(bigint, jsonb, jsonb) IS
'recon.fix()''s conservation check. With p_before NULL (before posting): measures every wallet '
'the repair locked (stored balances, currency, and sums of the ledgers it posts into) and '
'returns it. With p_before (after moving the stored balances): measures again and raises RC307 '
'unless, per currency, wallet source or ledger, and column, the totals moved by exactly what '
'the applied steps planned (stored_change, ledger_change; offset wallets included).';

REVOKE EXECUTE ON FUNCTION _recon.fix_conserve(bigint, jsonb, jsonb) FROM PUBLIC;
