-- _recon.run_merge(): a run's staged findings merged into the open issues.
CREATE OR REPLACE FUNCTION _recon.run_merge(
    p_run bigint, p_names text[], p_acknowledged bigint[], OUT o_new bigint,
    OUT o_resolved bigint
)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    -- Open issues: seen again, new, resolved; and what this run saw of each.
    UPDATE _recon.finding AS f
    SET last_seen_run = p_run, stored = s.stored, expected = s.expected,
        difference = s.difference, severity = s.severity, cause = s.cause, details = s.details,
        currency = s.currency, explained_by = NULL
    FROM _recon.run_stage AS s
    WHERE s.run_id = p_run AND f.resolved_run IS NULL AND f.dropped_at IS NULL
      AND f.check_name = s.check_name AND f.finding_key = s.finding_key;
    INSERT INTO _recon.finding (
        check_name, finding_key, wallet_key, first_seen_run, last_seen_run, stored, expected,
        difference, severity, cause, details, currency
    )
    SELECT s.check_name, s.finding_key, s.wallet_key, p_run, p_run, s.stored, s.expected,
           s.difference, s.severity, s.cause, s.details, s.currency
    FROM _recon.run_stage AS s
    WHERE s.run_id = p_run
      AND NOT EXISTS (SELECT FROM _recon.finding AS f
                      WHERE f.resolved_run IS NULL AND f.dropped_at IS NULL AND f.check_name = s.check_name
                        AND f.finding_key = s.finding_key)
    ORDER BY s.check_name, s.finding_key;  -- ids in a defined order, not the stage's
    GET DIAGNOSTICS o_new = ROW_COUNT;
    UPDATE _recon.finding AS f SET resolved_run = p_run
    WHERE f.resolved_run IS NULL AND f.dropped_at IS NULL AND f.check_name = ANY (p_names)
      AND f.id <> ALL (p_acknowledged)
      AND NOT EXISTS (SELECT FROM _recon.run_stage AS s
                      WHERE s.run_id = p_run AND s.check_name = f.check_name
                        AND s.finding_key = f.finding_key);
    GET DIAGNOSTICS o_resolved = ROW_COUNT;
    -- The findings that hold an explained finding's money, by id now that all have one.
    UPDATE _recon.finding AS f
    SET explained_by = (
        SELECT array_agg(e.id ORDER BY e.id)
        FROM jsonb_array_elements(s.explained_by) AS x (ref)
        JOIN _recon.finding AS e ON e.check_name = x.ref ->> 'check'
            AND e.finding_key = x.ref ->> 'finding'
            AND e.resolved_run IS NULL AND e.dropped_at IS NULL)
    FROM _recon.run_stage AS s
    WHERE s.run_id = p_run AND s.explained_by IS NOT NULL
      AND f.resolved_run IS NULL AND f.dropped_at IS NULL
      AND f.check_name = s.check_name AND f.finding_key = s.finding_key;
    INSERT INTO _recon.observation (
        run_id, finding_id, stored, expected, difference, severity, currency, explained_by
    )
    SELECT p_run, f.id, s.stored, s.expected, s.difference, s.severity, s.currency,
           f.explained_by
    FROM _recon.run_stage AS s
    JOIN _recon.finding AS f ON f.check_name = s.check_name AND f.finding_key = s.finding_key
        AND f.resolved_run IS NULL AND f.dropped_at IS NULL
    WHERE s.run_id = p_run;
END;
$body$;

COMMENT ON FUNCTION _recon.run_merge(bigint, text[], bigint[]) IS
'Phase 8 of recon.reconcile: merges run p_run''s staged findings into the open issues: an open '
'finding seen again takes what the run saw, a new one opens (o_new: how many), an open finding '
'of the run''s checks p_names no longer seen (and not among p_acknowledged) is resolved '
'(o_resolved: how many); explained_by by finding id; an observation per finding seen.';

REVOKE EXECUTE ON FUNCTION _recon.run_merge(bigint, text[], bigint[]) FROM PUBLIC;
