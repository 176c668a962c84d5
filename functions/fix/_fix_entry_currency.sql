-- _recon.fix_entry_currency(): a posting into a ledger that keeps a currency per row, by an
-- INSERT writer, for a wallet of unknown currency, is refused in the plan.
CREATE OR REPLACE FUNCTION _recon.fix_entry_currency(p_stage bigint)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_steps integer;
BEGIN
    -- An INSERT writer fills the ledger's currency column with the wallet's currency (the
    -- step's: its wallet's currency column, else its finding's, else its check's,
    -- _recon.fix_currencies). Where none of them says, the row would be written without a
    -- currency (or fail a NOT NULL): a person decides, before anything is posted.
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped', moves = '{}',
        note = format('ledger %s keeps each entry''s currency (column %s), and the currency of '
                      || 'wallet %s is unknown (wallet source %s has no currency column, the '
                      || 'finding and check %s none): declare the check''s "currency", map the '
                      || 'column in the writer''s "columns", or repair by hand', l.name,
                      l.currency_column, s.wallet_key, s.wallet_source, s.check_name)
    FROM _recon.ledger_source AS l, _recon.writer AS w
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND s.currency IS NULL
      AND jsonb_array_length(s.postings) > 0 AND l.name = s.ledger_source
      AND l.currency_column IS NOT NULL AND w.ledger_source = l.name AND w.kind = 'insert'
      AND NOT w.column_map ? l.currency_column;
    GET DIAGNOSTICS v_steps = ROW_COUNT;
    RETURN v_steps;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_entry_currency(bigint) IS
'Phase of _recon.fix_assess, after _recon.fix_currencies: skips, saying why, a planned step '
'that posts through an INSERT writer into a ledger with a currency per row (whose "columns" '
'do not set it) while the step''s currency (its wallet''s currency column, else its '
'finding''s, else its check''s) is unknown: the row''s currency could not be filled. The '
'wallet''s other steps follow (_recon.fix_all_or_nothing). Returns how many steps.';

REVOKE EXECUTE ON FUNCTION _recon.fix_entry_currency(bigint) FROM PUBLIC;
