-- _recon.in_effect_sql(): SQL true for a ledger entry no standing reversal cancels.
CREATE OR REPLACE FUNCTION _recon.in_effect_sql(p_ledger _recon.ledger_source, p_alias text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    -- p_ledger as registered; p_alias names a row of its legs relation, and the reversals are
    -- looked for there too (a reversal the filters drop cancels nothing).
    v_raw _recon.ledger_source := p_ledger;
    v_table text := _recon.legs_sql(p_ledger);
    v_recorded text := 'EXISTS (SELECT FROM _recon.reversal AS rc WHERE rc.ledger_source = %L '
        || 'AND rc.entry = (%s)::text AND NOT EXISTS (SELECT FROM _recon.repair AS ru '
        || 'WHERE ru.reverses = rc.repair_id))';
    v_hand text := 'EXISTS (SELECT FROM %1$s AS %2$I WHERE %2$I.%3$I::text LIKE ''REV-%%'' '
        || 'AND %2$I.%3$I::text = ''REV-'' || (%4$s)::text AND %2$I.%5$I = %6$I.%5$I AND %7$s%8$s)';
BEGIN
    p_ledger := _recon.legs(v_raw);
    IF p_ledger.reference_column IS NULL OR _recon.entry_name_sql(p_ledger, p_alias) = 'NULL::text'
    THEN
        RETURN 'TRUE';
    END IF;
    -- 1. Recorded by the toolkit (_recon.reversal): counts while its repair stands, i.e. until
    --    recon.reverse_fix() reverses that repair.
    IF (SELECT t.typcategory <> 'S' FROM pg_catalog.pg_type AS t
        WHERE t.oid = _recon.column_type(v_raw.relid, v_raw.reference_column)) THEN
        RETURN 'NOT ' || format(v_recorded, p_ledger.name, _recon.entry_name_sql(p_ledger, p_alias));
    END IF;
    -- 2. Posted by hand: an entry referenced REV-<its id> on the same wallet with exactly the
    --    opposite effect (only a reference column of a string type can hold it). The LIKE keeps
    --    the hashed side of the anti-join to the few REV- entries. A hand reversal that is
    --    itself reversed (recorded, or by hand in turn) cancels nothing; two levels, not a
    --    recursion: a reversal of a reversal of a reversal is for a human.
    RETURN 'NOT ' || format(v_recorded, p_ledger.name, _recon.entry_name_sql(p_ledger, p_alias))
        || ' AND NOT ' || format(
            v_hand, v_table, 'rv', p_ledger.reference_column,
            _recon.entry_name_sql(p_ledger, p_alias), p_ledger.wallet_column, p_alias,
            _recon.opposite_effect_sql(p_ledger, 'rv', p_alias),
            ' AND NOT ' || format(v_recorded, p_ledger.name, _recon.entry_name_sql(p_ledger, 'rv'))
            || ' AND NOT ' || format(
                v_hand, v_table, 'rr', p_ledger.reference_column,
                _recon.entry_name_sql(p_ledger, 'rv'), p_ledger.wallet_column, 'rv',
                _recon.opposite_effect_sql(p_ledger, 'rr', 'rv'), ''));
END;
$body$;

COMMENT ON FUNCTION _recon.in_effect_sql(_recon.ledger_source, text) IS
'An SQL condition on the ledger entry aliased p_alias: no standing reversal cancels it. A '
'reversal counts if the toolkit recorded it (_recon.reversal: recon.fix() reversing a '
'duplicate, recon.reverse_fix() compensating a repair''s entries) and its repair was not '
'reversed since, or if it is an entry referenced REV-<its id> on the same wallet with exactly '
'the opposite effect (_recon.opposite_effect_sql) that is not itself reversed. A 0.00 REV-, '
'one on another wallet or of another amount cancels nothing. Duplicate and orphan checks count '
'only entries in effect. TRUE for a ledger without reference or entry id. docs/REPAIRS.md.';

REVOKE EXECUTE ON FUNCTION _recon.in_effect_sql(_recon.ledger_source, text) FROM PUBLIC;
