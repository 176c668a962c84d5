-- _recon.journal_skipped(): what a journal check declaring NULL journals legitimate left out.
CREATE OR REPLACE FUNCTION _recon.journal_skipped(p_check _recon.check_def)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_raw _recon.ledger_source;
    v_ledger _recon.ledger_source;
    v_n bigint;
BEGIN
    -- only a journal check with "null_journals": "allowed" leaves entries out (issue 18)
    IF p_check.kind IS DISTINCT FROM 'journal'
       OR p_check.options ->> 'null_journals' IS DISTINCT FROM 'allowed' THEN
        RETURN '{}'::jsonb;
    END IF;
    v_raw := _recon.ledger(p_check.options ->> 'ledger');
    v_ledger := _recon.legs(v_raw);
    -- the same legs relation the check reads (its filters, sides and parents), counted
    EXECUTE format('SELECT count(*) FROM %s AS l WHERE l.%I IS NULL', _recon.legs_sql(v_raw),
                   v_ledger.journal_column)
    INTO v_n;
    RETURN jsonb_build_object('null_journals_skipped', v_n);
END;
$body$;

COMMENT ON FUNCTION _recon.journal_skipped(_recon.check_def) IS
'For a journal check with option null_journals "allowed": {"null_journals_skipped": n}, the '
'number of entries (legs) without a journal that the check left out, counted over the same '
'legs relation; {} for any other check. recon.reconcile() adds it to the check''s by_check '
'entry of the run summary (docs/CHECKS.md, the journal check).';

REVOKE EXECUTE ON FUNCTION _recon.journal_skipped(_recon.check_def) FROM PUBLIC;
