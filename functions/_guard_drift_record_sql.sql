-- _recon.guard_drift_record_sql(): the generated PL/pgSQL adding one amount to a drift guard's
-- accumulator.
CREATE OR REPLACE FUNCTION _recon.guard_drift_record_sql(
    p_col integer, p_kind text, p_num text, p_skip_zero boolean, p_indent text
)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_code text;
BEGIN
    -- The accumulator (v_acc) is a sequence of records ',<key>:<column><s|l><amount>,': a
    -- stored change (s) or a ledger effect (l) of the balance column numbered <column>. A new
    -- record cancels the record of the other kind with the same key, column and amount, so that
    -- a transaction whose balances and entries agree leaves it empty (checked at commit without
    -- a query); otherwise it is appended. NULL (and NaN) is written NaN and never cancels.
    v_code := format($code$v_num := (%1$s)::pg_catalog.text;
v_rec := v_key OPERATOR(pg_catalog.||) %2$L OPERATOR(pg_catalog.||)
    CASE WHEN v_num OPERATOR(pg_catalog.=) 'NaN' THEN NULL ELSE v_num END;
v_at := pg_catalog.strpos(v_acc, ',' OPERATOR(pg_catalog.||) v_rec OPERATOR(pg_catalog.||) ',');
IF v_at OPERATOR(pg_catalog.>) 0 THEN
    v_acc := pg_catalog.overlay(v_acc, '', v_at,
                                pg_catalog.length(v_rec) OPERATOR(pg_catalog.+) 2);
ELSE
    v_acc := v_acc OPERATOR(pg_catalog.||) ',' OPERATOR(pg_catalog.||) v_key
        OPERATOR(pg_catalog.||) %3$L
        OPERATOR(pg_catalog.||) COALESCE(v_num, 'NaN') OPERATOR(pg_catalog.||) ',';
END IF;$code$,
        p_num,
        format(':%s%s', p_col, CASE p_kind WHEN 's' THEN 'l' ELSE 's' END),
        format(':%s%s', p_col, p_kind));
    IF p_skip_zero THEN  -- an amount that may be zero: nothing to add then
        v_code := format(E'IF (%1$s) IS NULL OR (%1$s) OPERATOR(pg_catalog.<>) 0 THEN\n%2$s\nEND IF;',
                         p_num, regexp_replace(v_code, '^', '    ', 'gn'));
    END IF;
    RETURN regexp_replace(v_code, '^', p_indent, 'gn');
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_record_sql(integer, text, text, boolean, text) IS
'Generated PL/pgSQL (for a drift guard''s row trigger function) adding amount p_num (an SQL '
'expression) of kind p_kind (s: stored change, l: ledger effect) for balance column number '
'p_col to the accumulator v_acc under key v_key: it cancels the matching record of the other '
'kind, or is appended. With p_skip_zero, a zero amount adds nothing.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_record_sql(integer, text, text, boolean, text)
FROM PUBLIC;
