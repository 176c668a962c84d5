-- _recon.fix_plan_skip_wallets(): skip the other steps of a wallet that needs a person first.
CREATE OR REPLACE FUNCTION _recon.fix_plan_skip_wallets(p_stage bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
-- as _recon.fix_plan: joins over the stage are hashed, never nested loops
SET enable_nestloop = off
AS $body$
BEGIN
    -- A wallet with broken data (NULL, NaN, unknown, unmapped) or a lost entry left to a
    --  person is repaired whole or not at all: none of its other steps run.
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = format('the wallet has a finding that needs a person first: step %s (%s)',
                      m.step, m.note)
    FROM (SELECT DISTINCT ON (x.wallet_source, x.wallet_key) x.wallet_source, x.wallet_key,
                 x.step, x.note
          FROM _recon.fix_stage AS x
          WHERE x.stage_id = p_stage AND x.status = 'manual' AND x.wallet_key IS NOT NULL
            AND (x.note LIKE 'broken data%' OR x.note LIKE 'no finite difference%'
                 OR x.evidence ->> 'verdict' IN ('lost_entry', 'inconsistent'))
          ORDER BY x.wallet_source, x.wallet_key, x.step) AS m
    WHERE s.stage_id = p_stage AND s.status IN ('planned', 'covered')
      AND s.wallet_source = m.wallet_source AND s.wallet_key = m.wallet_key;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_plan_skip_wallets(bigint) IS
'Phase 3c of _recon.fix_plan: a wallet with broken data (NULL, NaN, unknown, unmapped) or a '
'lost entry left to a person is repaired whole or not at all: its planned and covered steps '
'are skipped, naming the first step that needs a person.';

REVOKE EXECUTE ON FUNCTION _recon.fix_plan_skip_wallets(bigint) FROM PUBLIC;
