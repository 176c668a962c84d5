-- _recon.fix_overdraft_evidence(): what an overdraft exemption let through, on the record.
CREATE OR REPLACE FUNCTION _recon.fix_overdraft_evidence(p_stage bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- the step's evidence names the column, where it ends and the exemption's reason
    UPDATE _recon.fix_stage AS s
    SET evidence = COALESCE(s.evidence, '{}') || jsonb_build_object('overdraft', o.allowed)
    FROM (
        SELECT x.wallet_source, x.wallet_key, jsonb_object_agg(x.col, jsonb_build_object(
                   'before', x.before, 'after', x.before + x.moved, 'exemption',
                   _recon.overdraft_exemption_for(x.wallet_source, x.wallet_key, x.col)))
                   AS allowed
        FROM _recon.fix_wallet_moves(p_stage) AS x
        WHERE x.before + x.moved < 0 AND x.moved < 0
        GROUP BY x.wallet_source, x.wallet_key
    ) AS o
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.wallet_source = o.wallet_source
      AND s.wallet_key = o.wallet_key AND s.moves <> '{}';
END;
$body$;

COMMENT ON FUNCTION _recon.fix_overdraft_evidence(bigint) IS
'Phase 4 of _recon.fix_assess, after the overdrafts were skipped: writes into the evidence '
'("overdraft") of each planned step of a wallet left below zero by an exemption, per column, '
'the balance before and after and the exemption (id, reason).';

REVOKE EXECUTE ON FUNCTION _recon.fix_overdraft_evidence(bigint) FROM PUBLIC;
