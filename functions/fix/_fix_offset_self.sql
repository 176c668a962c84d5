-- _recon.fix_offset_self(): a posting of the offset wallet against itself moves nothing: manual.
CREATE OR REPLACE FUNCTION _recon.fix_offset_self(p_stage bigint)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_steps integer;
BEGIN
    -- A double-entry posting moves its wallet and the offset wallet by opposite amounts. When
    -- the wallet repaired is the offset wallet itself (the writer's world or treasury account
    -- drifts), the posting nets to zero in the ledger: a transfer row world -> world, two
    -- entries of the same wallet, or a posting API's refusal (RC306). It cannot repair that
    -- wallet, and its stored side would be moved back as an offset (a resync in disguise under
    -- an adjust). Left to a person, in the dry run as applying would.
    UPDATE _recon.fix_stage AS s
    SET status = 'manual', moves = '{}',
        note = format('the wallet is the offset wallet of ledger %s''s writer: a posting '
                      || 'against itself moves nothing in the ledger; repair it by hand (an '
                      || 'entry against another wallet), or acknowledge', s.ledger_source)
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.wallet_key IS NOT NULL
      AND EXISTS (
          SELECT
          FROM jsonb_array_elements(s.postings) AS p (value)
          LEFT JOIN _recon.writer AS w ON w.ledger_source = s.ledger_source
          WHERE CASE WHEN p.value ? 'offset_wallet' THEN p.value ->> 'offset_wallet'
                     ELSE w.offset_wallet END = s.wallet_key);
    GET DIAGNOSTICS v_steps = ROW_COUNT;
    RETURN v_steps;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_offset_self(bigint) IS
'Phase of _recon.fix_assess: marks manual a planned step whose posting would be against its '
'own wallet as the offset wallet (the posting''s own, else its writer''s): it nets to zero in '
'the ledger, so it cannot repair the wallet (an adjust of a drifting world account posted '
'world -> world and moved its stored balance back). The wallet''s other steps follow '
'(_recon.fix_all_or_nothing). Returns how many steps.';

REVOKE EXECUTE ON FUNCTION _recon.fix_offset_self(bigint) FROM PUBLIC;
