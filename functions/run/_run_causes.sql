-- _recon.run_causes(): a run's balance and derived findings, with the cause the run shows.
CREATE OR REPLACE FUNCTION _recon.run_causes(p_run bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    -- The kinds by their part in the causes (_recon.check_kind.cause_roles, docs/CHECKS.md §4).
    v_explained text[];
    v_explainers text[];
    v_payment text[];
    v_amount text[];
    v_break text[];
BEGIN
    -- Causes a balance or derived finding can show: on the same wallet source and wallet, a
    -- duplicate posting or orphaned payments of exactly the drift (a payment with the sign a
    -- missing credit gives), or a chain break. Which kinds play which part is the registry's
    -- (cause_roles): explained (balance, derived), explained by payment (orphan), amount
    -- (duplicate) or break (chain), tried in that order.
    SELECT COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'explained' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY (
                        SELECT min(array_position(ARRAY['payment', 'amount', 'break'], r))
                        FROM unnest(k.cause_roles) AS r), k.kind)
                        FILTER (WHERE k.cause_roles && ARRAY['payment', 'amount', 'break']), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'payment' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'amount' = ANY (k.cause_roles)), '{}'),
           COALESCE(array_agg(k.kind ORDER BY k.kind)
                        FILTER (WHERE 'break' = ANY (k.cause_roles)), '{}')
    INTO v_explained, v_explainers, v_payment, v_amount, v_break
    FROM _recon.check_kind AS k;
    -- An orphan or a duplicate explaining the drift holds the same money, in the same
    -- currency: the drift is explained by it (explained_by), and totals count that money
    -- once, there. A chain break shows why, not how much: both count.
    UPDATE _recon.run_stage AS s
    SET cause = m.cause,
        details = s.details || CASE WHEN s.cause = 'no_ledger_entries'
                                    THEN '{"no_ledger_entries": true}'::jsonb
                                    ELSE '{}'::jsonb END || jsonb_build_object(
            'cause', m.cause,
            'evidence', jsonb_build_object('check', m.check_name, 'finding', m.finding_key)
                        || (m.details - 'cause' - 'item')),
        explained_by = CASE
            WHEN m.kind = ANY (v_break) OR m.currency IS DISTINCT FROM s.currency THEN NULL
            WHEN m.kind = ANY (v_payment) AND m.difference IS DISTINCT FROM -s.difference THEN (
                -- payments summing to the drift: all of them
                SELECT jsonb_agg(jsonb_build_object('check', o2.check_name,
                                                    'finding', o2.finding_key)
                                 ORDER BY o2.finding_key)
                FROM _recon.run_stage AS o2
                WHERE o2.run_id = s.run_id AND o2.check_name = m.check_name
                  AND o2.wallet_key = s.wallet_key)
            ELSE jsonb_build_array(jsonb_build_object('check', m.check_name,
                                                      'finding', m.finding_key))
        END
    FROM (
        SELECT DISTINCT ON (b.finding_key, b.check_name)
               b.check_name AS b_check, b.finding_key AS b_key,
               o.check_name, o.finding_key, o.cause, o.details, o.currency, o.difference,
               co.kind
        FROM _recon.run_stage AS b
        JOIN _recon.check_def AS cb ON cb.name = b.check_name AND cb.kind = ANY (v_explained)
        JOIN _recon.run_stage AS o ON o.run_id = b.run_id AND o.wallet_key = b.wallet_key
        JOIN _recon.check_def AS co ON co.name = o.check_name
            AND co.kind = ANY (v_explainers)
            AND co.wallet_source = cb.wallet_source
        -- a wallet without entries whose drift an orphaned payment explains: its first
        -- top-up, credited and never posted (the payment says how much, and holds the money)
        WHERE b.run_id = p_run
          AND (b.cause IS NULL OR (b.cause = 'no_ledger_entries' AND co.kind = ANY (v_payment)))
          -- a missing payment makes the stored balance exceed the ledger by it (signs
          -- opposite: the orphan's difference is minus the payment); two or more on one wallet
          -- by their sum
          AND (co.kind = ANY (v_break)
               OR (co.kind = ANY (v_payment)
                   AND (o.difference = -b.difference
                        OR (SELECT sum(o2.difference) FROM _recon.run_stage AS o2
                            WHERE o2.run_id = b.run_id AND o2.check_name = o.check_name
                              AND o2.wallet_key = b.wallet_key) = -b.difference))
               OR (co.kind = ANY (v_amount) AND abs(o.difference) = abs(b.difference)))
        ORDER BY b.finding_key, b.check_name,
                 array_position(v_explainers, co.kind), o.finding_key
    ) AS m
    WHERE s.run_id = p_run AND s.check_name = m.b_check AND s.finding_key = m.b_key;
END;
$body$;

COMMENT ON FUNCTION _recon.run_causes(bigint) IS
'Phase 5 of recon.reconcile: gives each of run p_run''s staged findings of an explained kind '
'(cause_roles) with no cause yet (or no_ledger_entries, which an orphaned payment replaces: '
'details.no_ledger_entries = true) the first cause the run shows on the same wallet source and '
'wallet: orphaned payments of exactly the drift (or summing to it), a duplicate of its amount, '
'or a chain break; with the evidence, and explained_by when the cause holds the same money in '
'the same currency.';

REVOKE EXECUTE ON FUNCTION _recon.run_causes(bigint) FROM PUBLIC;
