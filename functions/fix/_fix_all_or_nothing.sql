-- _recon.fix_all_or_nothing(): a wallet with a skipped repair gets none of its repairs.
CREATE OR REPLACE FUNCTION _recon.fix_all_or_nothing(p_stage bigint, p_blocking text)
RETURNS void
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = format('not applied: step %s of this wallet was skipped (%s); a wallet''s '
                      || 'repairs are applied all or none', b.step, b.note)
    FROM (
        SELECT DISTINCT ON (x.wallet_source, x.wallet_key) x.wallet_source, x.wallet_key, x.step,
               x.note
        FROM _recon.fix_stage AS x
        WHERE x.stage_id = p_stage AND x.status = 'skipped' AND x.note ~ p_blocking
          AND x.wallet_key IS NOT NULL
        ORDER BY x.wallet_source, x.wallet_key, x.step
    ) AS b
    WHERE s.stage_id = p_stage AND s.status IN ('planned', 'covered')
      AND s.wallet_source = b.wallet_source AND s.wallet_key = b.wallet_key;
$body$;

COMMENT ON FUNCTION _recon.fix_all_or_nothing(bigint, text) IS
'Skips every planned step of a wallet one of whose steps was skipped for a reason matching '
'p_blocking (a limit, an overdraft, a change, no writer): a wallet is repaired whole or not '
'at all.';

REVOKE EXECUTE ON FUNCTION _recon.fix_all_or_nothing(bigint, text) FROM PUBLIC;
