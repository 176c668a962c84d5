-- _recon.fix_plan_covered(): balance and derived findings other steps of the plan repair.
CREATE OR REPLACE FUNCTION _recon.fix_plan_covered(p_stage bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
-- as _recon.fix_plan: joins over the stage are hashed, never nested loops
SET enable_nestloop = off
AS $body$
BEGIN
    -- A balance finding is covered by the payments posted and duplicates reversed on its
    -- wallet in the same plan when they move its column by exactly its drift (two equal
    -- missing payments as well as one); a derived finding by the repair of the orphan or
    -- duplicate its shown cause names.
    UPDATE _recon.fix_stage AS s
    SET status = 'covered', covered_by = o.first_step, moves = '{}',
        note = format('repaired by step%s %s (%s)', CASE WHEN o.n > 1 THEN 's' ELSE '' END,
                      o.steps, o.what)
    FROM (
        SELECT b.step, min(p.step) AS first_step, count(DISTINCT p.step) AS n,
               string_agg(DISTINCT p.step::text, ', ') AS steps,
               string_agg(DISTINCT format('%s of %s', p.strategy, p.check_name), ', ') AS what,
               sum((e.value -> 'deltas' ->> (b.finding_key_col))::numeric) AS moved,
               min(b.difference) AS difference
        FROM (SELECT x.*, f.details ->> 'column' AS finding_key_col
              FROM _recon.fix_stage AS x
              JOIN _recon.finding AS f ON f.id = x.finding_id
              WHERE x.stage_id = p_stage AND x.kind = 'balance' AND x.status = 'planned'
                AND x.strategy IN ('resync', 'adjust')) AS b
        JOIN _recon.fix_stage AS p ON p.stage_id = p_stage AND p.status = 'planned'
            AND p.strategy IN ('post_missing', 'reverse', 'resolve')
            AND p.wallet_source = b.wallet_source AND p.wallet_key = b.wallet_key
        CROSS JOIN LATERAL jsonb_array_elements(p.postings) AS e
        WHERE e.value -> 'deltas' ? b.finding_key_col
        GROUP BY b.step
    ) AS o
    WHERE s.stage_id = p_stage AND s.step = o.step AND o.moved = o.difference;
    UPDATE _recon.fix_stage AS s
    SET status = 'covered', covered_by = o.step, moves = '{}',
        note = format('repaired by step %s (%s of %s)', o.step, o.strategy, o.check_name)
    FROM _recon.finding AS f, _recon.fix_stage AS o
    WHERE s.stage_id = p_stage AND s.kind = 'derived' AND s.status = 'planned'
      AND f.id = s.finding_id AND f.cause IN ('orphaned_payment', 'duplicate_reference')
      AND o.stage_id = p_stage AND o.status = 'planned'
      AND o.strategy IN ('post_missing', 'reverse')
      AND o.check_name = f.details -> 'evidence' ->> 'check'
      AND o.finding_key = f.details -> 'evidence' ->> 'finding';
    -- One explained by a finding this plan does not repair is left alone: re-syncing or
    -- adjusting it would book the payment (or the duplicate) a second way, and the repair of
    -- its cause would then book it again.
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('explained by %s finding %s: repair that one (it posts the entry)',
                      f.details -> 'evidence' ->> 'check', f.details -> 'evidence' ->> 'finding')
    FROM _recon.finding AS f
    WHERE s.stage_id = p_stage AND s.kind IN ('balance', 'derived') AND s.status = 'planned'
      AND s.strategy IN ('resync', 'adjust', 'move')
      AND f.id = s.finding_id AND f.cause IN ('orphaned_payment', 'duplicate_reference');
    -- An adjustment trusts the stored balance; on a wallet whose drift is a payment (or a
    -- duplicate) this plan posts and something else, it would book that payment twice.
    UPDATE _recon.fix_stage AS s
    SET status = 'manual',
        note = format('the wallet''s drift is partly explained by step %s (%s of %s): an '
                      || 'adjustment would book it twice; resync, or repair by hand',
                      p.step, p.strategy, p.check_name)
    FROM _recon.fix_stage AS p
    WHERE s.stage_id = p_stage AND s.kind = 'balance' AND s.status = 'planned'
      AND s.strategy = 'adjust'
      AND p.stage_id = p_stage AND p.status = 'planned'
      AND p.strategy IN ('post_missing', 'reverse')
      AND p.wallet_source = s.wallet_source AND p.wallet_key = s.wallet_key;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_plan_covered(bigint) IS
'Phase 3 of _recon.fix_plan: marks covered a balance finding whose column the plan''s payments '
'and reversals on its wallet move by exactly its drift, and a derived finding whose cause''s '
'repair is in the plan; marks manual a re-sync or adjustment of a finding explained by an '
'orphan or duplicate, and an adjustment on a wallet where the plan also posts a payment or '
'reversal (it would book it twice).';

REVOKE EXECUTE ON FUNCTION _recon.fix_plan_covered(bigint) FROM PUBLIC;
