-- _recon.fix_skip_planned(): skip the planned steps of the given wallets, saying why.
CREATE OR REPLACE FUNCTION _recon.fix_skip_planned(
    p_stage bigint, p_wallet_sources text[], p_wallet_keys text[], p_notes text[]
)
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped', note = o.note
    FROM unnest(p_wallet_sources, p_wallet_keys, p_notes) AS o (wallet_source, wallet_key, note)
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.wallet_source = o.wallet_source
      AND s.wallet_key = o.wallet_key;
$body$;

COMMENT ON FUNCTION _recon.fix_skip_planned(bigint, text[], text[], text[]) IS
'The UPDATE that _recon.fix_skip_overdrafts and _recon.fix_skip_unfit share: every planned '
'step of each given wallet (source and key, at most once each) is skipped with that wallet''s '
'note.';

REVOKE EXECUTE ON FUNCTION _recon.fix_skip_planned(bigint, text[], text[], text[]) FROM PUBLIC;
