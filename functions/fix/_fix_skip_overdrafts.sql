-- _recon.fix_skip_overdrafts(): skip a wallet whose repairs would overdraw it.
CREATE OR REPLACE FUNCTION _recon.fix_skip_overdrafts(p_stage bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- the first column, by name, that would go below zero without an exemption
    PERFORM _recon.fix_skip_planned(
        p_stage, array_agg(o.wallet_source), array_agg(o.wallet_key),
        array_agg(format('would overdraw %s: %s -> %s', o.col, o.before, o.after))
    )
    FROM (
        SELECT DISTINCT ON (x.wallet_source, x.wallet_key)
               x.wallet_source, x.wallet_key, x.col, x.before, x.before + x.moved AS after
        FROM _recon.fix_wallet_moves(p_stage) AS x
        WHERE x.before + x.moved < 0 AND x.moved < 0
          -- unless the owner lets that wallet or column go negative (recon.allow_overdraft)
          AND _recon.overdraft_exemption_for(x.wallet_source, x.wallet_key, x.col) IS NULL
        ORDER BY x.wallet_source, x.wallet_key, x.col
    ) AS o;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_skip_overdrafts(bigint) IS
'Phase 4 of _recon.fix_assess: skips every planned step of a wallet whose planned moves would '
'take a stored balance column below zero (and move it down), unless an overdraft exemption '
'(_recon.overdraft_exemption_for) lets it.';

REVOKE EXECUTE ON FUNCTION _recon.fix_skip_overdrafts(bigint) FROM PUBLIC;
