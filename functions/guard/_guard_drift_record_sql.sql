-- _recon.guard_drift_record_sql(): the generated PL/pgSQL adding one amount to a drift guard's
-- accumulator.
CREATE OR REPLACE FUNCTION _recon.guard_drift_record_sql(
    p_guard integer, p_col integer, p_kind text, p_key text, p_num text, p_skip text,
    p_nan text, p_write boolean, p_first text
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_setting text := format('wallet_recon.drift_%s', p_guard);
    v_open text := CASE WHEN p_write THEN format('pg_catalog.set_config(%L, ', v_setting)
                        ELSE '' END;
    v_close text := CASE WHEN p_write THEN ', TRUE)' ELSE '' END;
BEGIN
    IF (SELECT g.mode FROM _recon.guard AS g WHERE g.id = p_guard) = 'block' THEN
        -- block mode: sealed, the row's amount goes to _recon.guard_spill (the function is
        -- SECURITY DEFINER; the writer can neither write that table nor reset it)
        RETURN _recon.guard_drift_seal_sql(p_guard, p_col, p_kind, p_key, p_num, p_skip);
    END IF;
    -- The accumulator v_acc is '*' (a commit-time check is queued), then '!' if part of it was
    -- moved to _recon.guard_spill, then records ',<key>:<column>=<amount><s|l>,': a stored
    -- change (s) or a ledger effect (l) of the balance column numbered <column>. A new record
    -- removes the record of the other kind with the same key, column and amount, so that a
    -- transaction whose balances and entries agree leaves nothing but '*' (checked at commit
    -- without a query); otherwise it is appended. An amount of zero (p_skip) adds nothing;
    -- NULL and NaN (p_nan) are appended, written NaN, and never cancel.
    --
    -- PL/pgSQL prepares each expression it evaluates once per transaction, at a cost that
    -- grows with the expression: the common paths (cancel, append) evaluate few and small
    -- ones, the rare ones (the first record, a spill) sit in a branch of their own.
    RETURN format(
        E'v_rec := \',\' OPERATOR(pg_catalog.||) %1$s OPERATOR(pg_catalog.||) %2$L '
        || E'OPERATOR(pg_catalog.||) %3$s;\n'
        || E'v_at := %4$s;\n'
        || E'IF v_at OPERATOR(pg_catalog.>) 0 THEN\n'
        || E'    v_acc := %5$spg_catalog.overlay(v_acc, \'\', v_at, '
        || E'pg_catalog.length(v_rec) OPERATOR(pg_catalog.+) 2)%6$s;\n'
        || E'%7$s\n'
        || E'    v_acc := %5$sCASE WHEN v_acc OPERATOR(pg_catalog.=) \'\' THEN %8$s '
        || E'OPERATOR(pg_catalog.||) v_rec OPERATOR(pg_catalog.||) %9$L\n'
        || E'        WHEN pg_catalog.octet_length(v_acc) OPERATOR(pg_catalog.>) 8192 THEN '
        || E'_recon_guard.drift_spill(%10$s, v_acc OPERATOR(pg_catalog.||) v_rec '
        || E'OPERATOR(pg_catalog.||) %9$L)\n'
        || E'        ELSE v_acc OPERATOR(pg_catalog.||) v_rec OPERATOR(pg_catalog.||) %9$L '
        || E'END%6$s;\n'
        || E'END IF;',
        p_key, format(':%s=', p_col),
        CASE WHEN p_nan IS NULL THEN format('(%s)::pg_catalog.text', p_num)
             ELSE format('COALESCE((%s)::pg_catalog.text, %L)', p_num, 'NaN') END,
        CASE WHEN p_skip IS NULL AND p_nan IS NULL
             THEN format('pg_catalog.strpos(v_acc, v_rec OPERATOR(pg_catalog.||) %L)',
                         CASE p_kind WHEN 's' THEN 'l,' ELSE 's,' END)
             ELSE format(E'CASE%s%s\n    ELSE pg_catalog.strpos(v_acc, v_rec '
                         || 'OPERATOR(pg_catalog.||) %s) END',
                         COALESCE(' WHEN ' || p_skip || ' THEN -1', ''),
                         COALESCE(E'\n    WHEN ' || p_nan || ' THEN 0', ''),
                         quote_literal(CASE p_kind WHEN 's' THEN 'l,' ELSE 's,' END)) END,
        v_open, v_close,
        CASE WHEN p_skip IS NULL THEN 'ELSE' ELSE 'ELSIF v_at OPERATOR(pg_catalog.=) 0 THEN' END,
        -- an empty accumulator: no check known to be queued. A row of the table with the
        -- constraint trigger queued its own ('*'); a row of the other table queues one
        -- (_recon_guard.drift_tick): _recon.guard_drift_function() says which
        p_first,
        p_kind || ',', p_guard);
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_record_sql(
    integer, integer, text, text, text, text, text, boolean, text
) IS
'Generated PL/pgSQL (for a drift guard''s row trigger function) adding amount p_num (an SQL '
'expression) of kind p_kind (s: stored change, l: ledger effect) for balance column number '
'p_col to the accumulator v_acc under key p_key: it cancels the matching record of the other '
'kind, or is appended (moved to _recon.guard_spill past 8 kB; into an empty accumulator after '
'p_first, the SQL of the mark of a queued check). Nothing '
'when condition p_skip holds; never cancels when p_nan holds (NULL, NaN). With p_write the '
'result is written to the setting. For a guard in block mode: _recon.guard_drift_seal_sql() '
'(the amount goes to _recon.guard_spill, no setting).';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_record_sql(
    integer, integer, text, text, text, text, text, boolean, text
) FROM PUBLIC;
