-- _recon.fix_lifecycle_covered(): a duplicate resolution the plan's resolve step reverses.
CREATE OR REPLACE FUNCTION _recon.fix_lifecycle_covered(p_stage bigint)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- A duplicate finding of exactly the resolutions this plan reverses (a RELEASE posted
    -- twice) is repaired by that reversal.
    UPDATE _recon.fix_stage AS d
    SET status = 'covered', covered_by = r.step, postings = '[]', moves = '{}',
        note = format('repaired by step %s (resolve of %s)', r.step, r.check_name)
    FROM _recon.finding AS f, _recon.fix_stage AS r
    WHERE d.stage_id = p_stage AND d.kind = 'duplicate' AND d.status IN ('planned', 'manual')
      AND f.id = d.finding_id AND jsonb_typeof(f.details -> 'entries') = 'array'
      AND r.stage_id = p_stage AND r.strategy = 'resolve' AND r.status = 'planned'
      AND r.wallet_source = d.wallet_source AND r.wallet_key = d.wallet_key
      AND ARRAY(SELECT x FROM jsonb_array_elements_text(f.details -> 'entries')
                    WITH ORDINALITY AS e (x, n) WHERE n > 1 ORDER BY x)
          = ARRAY(SELECT p ->> 'entry' FROM jsonb_array_elements(r.postings) AS p
                  WHERE p ->> 'purpose' = 'reversal' ORDER BY 1);
END;
$body$;

COMMENT ON FUNCTION _recon.fix_lifecycle_covered(bigint) IS
'For _recon.fix_lifecycle: marks covered a duplicate finding of exactly the resolutions a '
'planned resolve step on the same wallet reverses (a RELEASE posted twice).';

REVOKE EXECUTE ON FUNCTION _recon.fix_lifecycle_covered(bigint) FROM PUBLIC;
