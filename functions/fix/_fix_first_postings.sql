-- _recon.fix_first_postings(): the planned postings through ledger-first writers, in order.
CREATE OR REPLACE FUNCTION _recon.fix_first_postings(p_stage bigint)
RETURNS TABLE (
    wallet_source text, step integer, n bigint, wallet text, offset_wallet text, deltas jsonb,
    effects jsonb
)
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT l.wallet_source, y.step, e.n, e.value ->> 'wallet',
           CASE WHEN e.value ? 'offset_wallet' THEN e.value ->> 'offset_wallet'
                ELSE w.offset_wallet END,
           COALESCE(e.value -> 'deltas', '{}'::jsonb), l.effects
    FROM _recon.fix_stage AS y
    JOIN _recon.writer AS w ON w.ledger_source = y.ledger_source
    JOIN _recon.ledger_source AS l ON l.name = y.ledger_source
    CROSS JOIN LATERAL jsonb_array_elements(y.postings) WITH ORDINALITY AS e (value, n)
    WHERE y.stage_id = p_stage AND y.status = 'planned'
      AND w.options @> '{"moves_balances": true}';
$body$;

COMMENT ON FUNCTION _recon.fix_first_postings(bigint) IS
'The postings of the planned steps of fix stage p_stage that go through a ledger-first writer '
'("moves_balances"), one row each: the wallet source, step, its place in the step (n), the '
'wallet, the offset wallet (the posting''s own, else the writer''s; NULL for none), its deltas '
'and its ledger''s effects. Read by _recon.fix_skip_passing_overdrafts.';

REVOKE EXECUTE ON FUNCTION _recon.fix_first_postings(bigint) FROM PUBLIC;
