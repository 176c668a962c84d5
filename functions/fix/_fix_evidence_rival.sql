-- _recon.fix_evidence_rival(): another wallet that drifts by exactly the same amount.
CREATE OR REPLACE FUNCTION _recon.fix_evidence_rival(p_stage bigint, p_step integer)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- A journal that lacks exactly a wallet's drift is evidence that the wallet lost its leg
    -- there only while no other wallet could have lost it: another open finding of the same
    -- check, column and currency with the same drift makes the journal say nothing about
    -- which of them lost it (a lost update on one, a lost leg on the other).
    SELECT g.wallet_key
    FROM _recon.fix_stage AS s
    JOIN _recon.finding AS f ON f.id = s.finding_id
    JOIN _recon.finding AS g
        ON g.check_name = f.check_name AND g.resolved_run IS NULL AND g.dropped_at IS NULL
       AND g.id <> f.id AND g.wallet_key IS DISTINCT FROM f.wallet_key
       AND g.difference = f.difference AND g.currency IS NOT DISTINCT FROM f.currency
       AND g.details ->> 'column' IS NOT DISTINCT FROM f.details ->> 'column'
    WHERE s.stage_id = p_stage AND s.step = p_step
    ORDER BY g.wallet_key
    LIMIT 1;
$body$;

COMMENT ON FUNCTION _recon.fix_evidence_rival(bigint, integer) IS
'For _recon.fix_evidence_judge: the first other wallet (by key) with an open finding of the '
'same check, column and currency and exactly the same drift as step p_step of stage p_stage, '
'or NULL. While there is one, an unbalanced journal lacking exactly that drift does not tell '
'which wallet lost its leg, and nothing is restored.';

REVOKE EXECUTE ON FUNCTION _recon.fix_evidence_rival(bigint, integer) FROM PUBLIC;
