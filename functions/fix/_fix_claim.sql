-- _recon.fix_claim(): claim a staged plan's steps into the repair audit by their unique keys.
CREATE OR REPLACE FUNCTION _recon.fix_claim(
    p_stage bigint, p_fix bigint, p_ticket text, p_reason text, p_invoker name
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
-- the stage's statistics are whatever the last ANALYZE saw (another call's plan, or none):
-- joins over it are hashed, never nested loops over thousands of steps
SET enable_nestloop = off
AS $body$
BEGIN
    WITH claimed AS (
        INSERT INTO _recon.repair AS r (
            fix_id, repair_key, step, finding_id, check_name, finding_key, wallet_source,
            wallet_key, strategy, amount, difference, moves, stored_before, stored_after,
            reverses, ticket, reason, applied_by
        )
        SELECT p_fix, s.repair_key, s.step, s.finding_id, s.check_name, s.finding_key,
               s.wallet_source, s.wallet_key,
               CASE WHEN s.status = 'covered' THEN 'covered' ELSE s.strategy END,
               CASE WHEN s.status = 'covered' THEN 0 ELSE COALESCE(s.amount, 0) END, s.difference,
               s.moves, COALESCE(s.stored_before, '{}'), COALESCE(s.stored_after, '{}'),
               CASE WHEN s.repair_key LIKE 'reverse:%'
                    THEN split_part(s.repair_key, ':', 2)::bigint END,
               p_ticket, p_reason, p_invoker
        FROM _recon.fix_stage AS s
        WHERE s.stage_id = p_stage AND s.status IN ('planned', 'covered')
        ORDER BY s.step
        ON CONFLICT (repair_key) DO NOTHING
        RETURNING r.id, r.step
    )
    UPDATE _recon.fix_stage AS s
    SET repair_id = c.id, status = CASE WHEN s.status = 'planned' THEN 'applied'
                                        ELSE s.status END
    FROM claimed AS c
    WHERE s.stage_id = p_stage AND s.step = c.step;
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped', note = 'already applied by a concurrent call'
    WHERE s.stage_id = p_stage AND s.status IN ('planned', 'covered') AND s.repair_id IS NULL;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_claim(bigint, bigint, text, text, name) IS
'Writes the audit row of every planned (or covered) step of a staged plan, keyed by its repair '
'key (INSERT ... ON CONFLICT DO NOTHING): a step whose key exists, or a concurrent call claimed '
'first, is skipped; the others become applied, with their audit id.';

REVOKE EXECUTE ON FUNCTION _recon.fix_claim(bigint, bigint, text, text, name) FROM PUBLIC;
