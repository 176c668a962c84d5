-- _recon.in_effect_sql(): SQL true for a ledger entry no reversal entry REV-<its id> cancels.
CREATE OR REPLACE FUNCTION _recon.in_effect_sql(p_ledger _recon.ledger_source, p_alias text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- A reversal that was itself reversed (recon.reverse_fix) cancels nothing.
    SELECT CASE WHEN p_ledger.reference_column IS NULL
                     OR _recon.entry_name_sql(p_ledger, 'x') = 'NULL::text' THEN 'TRUE'
                ELSE format(
                    'NOT EXISTS (SELECT FROM %1$s AS rv WHERE rv.%2$I::text = ''REV-'' || (%3$s)::text '
                    || 'AND NOT EXISTS (SELECT FROM %1$s AS rr '
                    || 'WHERE rr.%2$I::text = ''REV-'' || (%4$s)::text))',
                    p_ledger.relid::regclass, p_ledger.reference_column,
                    _recon.entry_name_sql(p_ledger, p_alias), _recon.entry_name_sql(p_ledger, 'rv'))
           END;
$body$;

COMMENT ON FUNCTION _recon.in_effect_sql(_recon.ledger_source, text) IS
'An SQL condition on the ledger entry aliased p_alias: no entry referenced REV-<its id> '
'reverses it (or that reversal was reversed in turn). Duplicate and orphan checks count only '
'entries in effect, so a reversal by recon.fix() resolves a duplicate and '
'recon.reverse_fix() brings an orphan back. TRUE for a ledger without reference or entry id.';

REVOKE EXECUTE ON FUNCTION _recon.in_effect_sql(_recon.ledger_source, text) FROM PUBLIC;
