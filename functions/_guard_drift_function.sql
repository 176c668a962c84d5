-- _recon.guard_drift_function(): the row trigger function a drift guard puts on one of its
-- tables, generated with static SQL (PL/pgSQL caches its plans for the session).
CREATE OR REPLACE FUNCTION _recon.guard_drift_function(
    p_id integer, p_side text, p_ledger _recon.ledger_source, p_wallet _recon.wallet_source,
    p_cols text[]
)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_name text := format('_recon.tg_drift_%s_%s', p_id, p_side);
    v_setting text := format('wallet_recon.drift_%s', p_id);
    v_amount_type text := _recon.column_type_sql(p_ledger.relid, p_ledger.amount_column);
    v_exact boolean;
    v_signed boolean := p_ledger.amount_mode = 'signed';
    v_body text;
    v_new text;
    v_old text;
    v_upd text;
    v_same text;
    v_num text;
    v_i integer;
    v_col text;
BEGIN
    -- Amounts are compared as text, so stored changes and ledger effects must print alike: they
    -- do when both columns have the same type with a fixed scale (numeric(14,2) and
    -- numeric(14,2)) or an integer type, and every multiplier is 1 or -1; otherwise the
    -- generated code trims trailing zeros (numeric 5.50 and 5.5 both become 5.5).
    v_exact := NOT EXISTS (
        SELECT FROM unnest(p_cols) AS b
        WHERE _recon.column_type_sql(p_wallet.relid, b) IS DISTINCT FROM v_amount_type
           OR NOT (v_amount_type LIKE '%(%' OR _recon.column_type(p_ledger.relid,
                   p_ledger.amount_column) IN ('smallint', 'integer', 'bigint'))
           OR EXISTS (SELECT FROM jsonb_each_text(p_ledger.effects -> b) AS e
                      WHERE e.value::numeric NOT IN (1, -1)));

    IF p_side = 'wallet' THEN
        v_new := _recon.guard_drift_key_sql(p_wallet.relid, p_wallet.key_column, 'new');
        v_old := _recon.guard_drift_key_sql(p_wallet.relid, p_wallet.key_column, 'old');
        SELECT string_agg(format('(((new.%1$I)::pg_catalog.numeric OPERATOR(pg_catalog.=) '
                                 || '(old.%1$I)::pg_catalog.numeric) IS TRUE '
                                 || 'OR (new.%1$I IS NULL AND old.%1$I IS NULL))', b), E'\n       AND ')
        INTO v_same FROM unnest(p_cols) AS b;
        v_body := format(E'    IF tg_op OPERATOR(pg_catalog.=) \'UPDATE\' THEN\n'
                         || E'        IF %s THEN\n'
                         || E'            RETURN NULL;  -- no balance moved\n'
                         || E'        END IF;\n'
                         || E'        v_key := %s;\n        v_acc := %s;\n',
                         v_same, v_new, '#ACC#');
        v_upd := '';
        v_new := '';
        v_old := '';
        FOR v_i, v_col IN SELECT o, b FROM unnest(p_cols) WITH ORDINALITY AS c (b, o) LOOP
            v_num := format('(new.%1$I)::pg_catalog.numeric OPERATOR(pg_catalog.-) '
                            || '(old.%1$I)::pg_catalog.numeric', v_col);
            IF cardinality(p_cols) = 1 THEN
                v_upd := v_upd || _recon.guard_drift_record_sql(
                    v_i, 's', _recon.guard_drift_trim_sql(v_num, v_exact), FALSE, '        ');
            ELSE
                v_upd := v_upd || format(E'        IF NOT (%s) THEN\n%s\n        END IF;',
                    split_part(v_same, E'\n       AND ', v_i),
                    _recon.guard_drift_record_sql(
                        v_i, 's', _recon.guard_drift_trim_sql(v_num, v_exact), FALSE,
                        '            '));
            END IF;
            v_upd := v_upd || E'\n';
            v_new := v_new || _recon.guard_drift_record_sql(
                v_i, 's', _recon.guard_drift_trim_sql(
                    format('(new.%I)::pg_catalog.numeric', v_col), v_exact),
                TRUE, '            ') || E'\n';
            v_old := v_old || _recon.guard_drift_record_sql(
                v_i, 's', _recon.guard_drift_trim_sql(
                    format('OPERATOR(pg_catalog.-) (old.%I)::pg_catalog.numeric', v_col), v_exact),
                TRUE, '            ') || E'\n';
        END LOOP;
        v_body := v_body || v_upd
            || E'    ELSE\n        v_acc := #ACC#;\n'
            || E'        IF tg_op OPERATOR(pg_catalog.=) \'INSERT\' THEN\n'
            || format(E'            v_key := %s;\n', _recon.guard_drift_key_sql(
                   p_wallet.relid, p_wallet.key_column, 'new'))
            || v_new
            || E'        ELSE\n'
            || format(E'            v_key := %s;\n', _recon.guard_drift_key_sql(
                   p_wallet.relid, p_wallet.key_column, 'old'))
            || v_old
            || E'        END IF;\n    END IF;\n';

    ELSE  -- ledger: each entry's effects, negated for an entry deleted or replaced
        v_new := '';
        v_old := '';
        v_upd := '';
        FOR v_i, v_col IN SELECT o, b FROM unnest(p_cols) WITH ORDINALITY AS c (b, o) LOOP
            v_new := v_new || _recon.guard_drift_record_sql(
                v_i, 'l', _recon.guard_drift_trim_sql(
                    _recon.guard_drift_effect_sql(p_ledger, v_col, 'new'), v_exact),
                NOT v_signed, '#IND#') || E'\n';
            v_old := v_old || _recon.guard_drift_record_sql(
                v_i, 'l', _recon.guard_drift_trim_sql(format('OPERATOR(pg_catalog.-) (%s)',
                    _recon.guard_drift_effect_sql(p_ledger, v_col, 'old')), v_exact),
                NOT v_signed, '#IND#') || E'\n';
            v_upd := v_upd || _recon.guard_drift_record_sql(
                v_i, 'l', _recon.guard_drift_trim_sql(format(
                    '(%s) OPERATOR(pg_catalog.-) (%s)',
                    _recon.guard_drift_effect_sql(p_ledger, v_col, 'new'),
                    _recon.guard_drift_effect_sql(p_ledger, v_col, 'old')), v_exact),
                TRUE, '            ') || E'\n';
        END LOOP;
        v_body := format(E'    IF tg_op OPERATOR(pg_catalog.=) \'INSERT\' THEN\n'
                         || E'        IF new.%1$I IS NULL THEN\n            RETURN NULL;\n'
                         || E'        END IF;\n'
                         || E'        v_key := %2$s;\n        v_acc := #ACC#;\n%3$s'
                         || E'    ELSIF tg_op OPERATOR(pg_catalog.=) \'DELETE\' THEN\n'
                         || E'        IF old.%1$I IS NULL THEN\n            RETURN NULL;\n'
                         || E'        END IF;\n'
                         || E'        v_key := %4$s;\n        v_acc := #ACC#;\n%5$s'
                         || E'    ELSE\n        v_acc := #ACC#;\n'
                         -- the same wallet: the change of the entry's effects, once
                         || E'        IF (new.%1$I)::pg_catalog.text OPERATOR(pg_catalog.=) '
                         || E'(old.%1$I)::pg_catalog.text THEN\n'
                         || E'            v_key := %2$s;\n%6$s'
                         || E'        ELSE  -- moved to another wallet, or from or to none\n'
                         || E'            IF new.%1$I IS NOT NULL THEN\n'
                         || E'                v_key := %2$s;\n%7$s'
                         || E'            END IF;\n'
                         || E'            IF old.%1$I IS NOT NULL THEN\n'
                         || E'                v_key := %4$s;\n%8$s'
                         || E'            END IF;\n'
                         || E'        END IF;\n    END IF;\n',
            p_ledger.wallet_column,
            _recon.guard_drift_key_sql(p_ledger.relid, p_ledger.wallet_column, 'new'),
            replace(v_new, '#IND#', '        '),
            _recon.guard_drift_key_sql(p_ledger.relid, p_ledger.wallet_column, 'old'),
            replace(v_old, '#IND#', '        '),
            v_upd,
            replace(v_new, '#IND#', '                '),
            replace(v_old, '#IND#', '                '));
    END IF;

    RETURN format($fn$CREATE OR REPLACE FUNCTION %1$s()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $gen$
-- Generated by recon.enable_guard() for drift guard %2$s (ledger source %3$s): adds what
-- this row changed (stored balances on the wallet table, ledger effects on the ledger) to the
-- transaction-local setting %4$s, judged at commit by _recon.tg_guard_drift_check().
-- Every name and operator is schema-qualified. recon.disable_guard() drops it.
DECLARE
    v_acc pg_catalog.text;
    v_key pg_catalog.text;
    v_num pg_catalog.text;
    v_rec pg_catalog.text;
    v_at pg_catalog.int4;
BEGIN
    IF pg_catalog.current_setting('wallet_recon.fix_id', TRUE) OPERATOR(pg_catalog.<>) '' THEN
        IF _recon.in_audited_fix() THEN
            RETURN NULL;  -- an audited recon.fix(): it verifies its own writes
        END IF;
    END IF;
%5$s    IF pg_catalog.octet_length(v_acc) OPERATOR(pg_catalog.>) 8192 THEN
        PERFORM _recon.guard_drift_spill(%2$s, v_acc);  -- a large transaction: bounded
        v_acc := '!';
    END IF;
    v_acc := pg_catalog.set_config(%6$L, v_acc, TRUE);
    RETURN NULL;
END;
$gen$$fn$,
        v_name, p_id, p_ledger.name, v_setting,
        replace(v_body, '#ACC#', format('COALESCE(pg_catalog.current_setting(%L, TRUE), %L)',
                                        v_setting, '')),
        v_setting);
END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_function(
    integer, text, _recon.ledger_source, _recon.wallet_source, text[]
) IS
'CREATE FUNCTION statement of a drift guard''s row trigger function on its wallet table '
'(p_side wallet: stored changes) or ledger (p_side ledger: ledger effects): static PL/pgSQL '
'adding, per wallet and balance column, what the row changed to the transaction-local setting '
'wallet_recon.drift_<guard id>. SECURITY DEFINER with a pinned search_path; every name and '
'operator schema-qualified.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_function(
    integer, text, _recon.ledger_source, _recon.wallet_source, text[]
) FROM PUBLIC;
