-- _recon.guard_check_options(): refuse a guard's kind, target or options before anything is
-- written.
CREATE OR REPLACE FUNCTION _recon.guard_check_options(p_kind text, p_target text, p_options jsonb)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    IF p_kind IS NULL OR p_kind NOT IN ('drift', 'derived', 'append_only', 'double_entry',
                                        'lifecycle') THEN
        PERFORM _recon.fail('RC406', format('unknown guard kind %L', p_kind),
                            'Kinds: drift, derived, append_only, double_entry, lifecycle.',
                            'docs/GUARDS.md describes each.');
    END IF;
    IF p_target IS NULL THEN
        PERFORM _recon.fail('RC107', format('no target for a %s guard', p_kind),
                            'A guard guards a registered ledger source or check.',
                            'SELECT * FROM recon.sources; SELECT name FROM recon.checks;');
    END IF;
    PERFORM _recon.check_options(format('%s guard on %s', p_kind, p_target), p_options,
                                 ARRAY['mode', 'tolerance', 'check_on', 'null_journals']);
    IF p_options ? 'null_journals' AND (p_kind <> 'double_entry'
                                        OR p_options ->> 'null_journals' NOT IN ('blocked',
                                                                                'allowed')) THEN
        PERFORM _recon.fail('RC406', 'null_journals is "blocked" or "allowed", for a '
                            || 'double_entry guard',
                            format('Got %s for a %s guard.', p_options -> 'null_journals', p_kind),
                            'docs/GUARDS.md: entries without a journal.');
    END IF;
    IF COALESCE(p_options ->> 'mode', 'warn') NOT IN ('warn', 'block') THEN
        PERFORM _recon.fail('RC406', format('unknown guard mode %L', p_options ->> 'mode'),
                            'Modes: warn (warning, alert, NOTIFY) and block (fail at commit).',
                            'Start with warn; block once the alerts are quiet.');
    END IF;
    IF p_options ? 'tolerance' AND (jsonb_typeof(p_options -> 'tolerance') <> 'number'
                                    OR (p_options ->> 'tolerance')::numeric < 0) THEN
        PERFORM _recon.fail('RC406', 'tolerance must be a number >= 0',
                            format('Got %s.', p_options -> 'tolerance'), 'E.g. 0.01.');
    END IF;
    -- drift: which table's rows queue the commit-time check (the other's queue one only when
    -- they come first in a transaction); the table your transactions write first is cheaper
    IF p_options ? 'check_on' AND (p_kind <> 'drift' OR jsonb_typeof(p_options -> 'check_on')
                                   <> 'string' OR p_options ->> 'check_on' NOT IN ('wallet',
                                                                                   'ledger')) THEN
        PERFORM _recon.fail('RC406', 'check_on is "wallet" or "ledger", for a drift guard',
                            format('Got %s for a %s guard.', p_options -> 'check_on', p_kind),
                            'The table your transactions write first: docs/GUARDS.md.');
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_check_options(text, text, jsonb) IS
'The input checks of recon.enable_guard(kind, target, options): an unknown kind, mode or '
'option, a bad tolerance, check_on or null_journals (RC406), no target (RC107).';

REVOKE EXECUTE ON FUNCTION _recon.guard_check_options(text, text, jsonb) FROM PUBLIC;
