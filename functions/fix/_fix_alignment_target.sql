-- _recon.fix_alignment_target(): what a ledger-first posting sets a stored balance to first.
CREATE OR REPLACE FUNCTION _recon.fix_alignment_target(
    p_measure jsonb, p_wallet text, p_column text
)
RETURNS numeric
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- the sum of the wallet's entries on that column, over every ledger of its wallet source
    SELECT COALESCE(sum((l.value ->> p_column)::numeric), 0)
    FROM jsonb_each(p_measure -> p_wallet -> 'ledger') AS l
    WHERE l.value ? p_column;
$body$;

COMMENT ON FUNCTION _recon.fix_alignment_target(jsonb, text, text) IS
'The value a ledger-first posting (_recon.fix_post_first) sets column p_column of wallet '
'p_wallet''s stored balance to before the ledger''s routine posts: what the wallet''s entries '
'add up to over all its ledgers, read from p_measure (_recon.fix_measure over those ledgers). '
'The plan''s passing-overdraft phase (_recon.fix_skip_passing_overdrafts) reckons with the '
'same value, so the plan and the posting cannot disagree.';

REVOKE EXECUTE ON FUNCTION _recon.fix_alignment_target(jsonb, text, text) FROM PUBLIC;
