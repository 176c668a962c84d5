-- _recon.fix_plan_skip_unwritable(): skip what no writer can post.
CREATE OR REPLACE FUNCTION _recon.fix_plan_skip_unwritable(p_stage bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
-- as _recon.fix_plan: joins over the stage are hashed, never nested loops
SET enable_nestloop = off
AS $body$
BEGIN
    -- What cannot be posted: a ledger without a writer, an effect no entry type has.
    UPDATE _recon.fix_stage AS s
    SET status = 'skipped',
        note = CASE WHEN w.ledger_source IS NULL THEN format(
                        'ledger %s has no writer: register one with recon.register_writer()',
                        s.ledger_source)
                    ELSE format('no entry type of ledger %s moves %s: register one, or use '
                                || 'another strategy', s.ledger_source, (
                        SELECT p.value -> 'deltas' FROM jsonb_array_elements(s.postings) AS p
                        WHERE _recon.entry_for(l, p.value -> 'deltas', w.entry_types) IS NULL
                        LIMIT 1)) END
    FROM _recon.ledger_source AS l
    LEFT JOIN _recon.writer AS w ON w.ledger_source = l.name
    WHERE s.stage_id = p_stage AND s.status = 'planned' AND l.name = s.ledger_source
      AND jsonb_array_length(s.postings) > 0
      AND (w.ledger_source IS NULL
           OR EXISTS (SELECT FROM jsonb_array_elements(s.postings) AS p
                      WHERE _recon.entry_for(l, p.value -> 'deltas', w.entry_types) IS NULL));
END;
$body$;

COMMENT ON FUNCTION _recon.fix_plan_skip_unwritable(bigint) IS
'Phase 4 of _recon.fix_plan: skips a planned step with postings into a ledger that has no '
'writer, or whose deltas no entry type of the writer moves (_recon.entry_for).';

REVOKE EXECUTE ON FUNCTION _recon.fix_plan_skip_unwritable(bigint) FROM PUBLIC;
