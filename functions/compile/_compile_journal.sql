-- _recon.compile_journal(): journal transactions whose debits and credits differ (seed 003).
CREATE OR REPLACE FUNCTION _recon.compile_journal(p_name text, p_options jsonb)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    -- the ledger as registered, and as its legs relation names it (docs/CHECKS.md)
    v_raw _recon.ledger_source := _recon.ledger(p_options ->> 'ledger');
    v_ledger _recon.ledger_source := _recon.legs(v_raw);
    v_journal name := _recon.require_column(v_ledger, v_ledger.journal_column, 'journal',
                                            'journal');
    v_wallet _recon.wallet_source := _recon.wallet(v_raw.wallet_source);
    -- Entries balance per currency: a journal moving USD and EUR is two sums, never one. An
    -- entry's currency is its own (the ledger's currency option), else its wallet's (the
    -- wallet source's currency column: accounts of several currencies, entries without one).
    v_cur text := CASE WHEN v_raw.currency_column IS NOT NULL THEN 'l.currency::text'
                       WHEN v_wallet.currency_column IS NOT NULL
                           THEN format('cw.%I::text', v_wallet.currency_column) END;
    v_join text := CASE WHEN v_raw.currency_column IS NULL AND v_wallet.currency_column IS NOT NULL
                        THEN format('LEFT JOIN %s AS cw ON cw.%I = l.wallet',
                                    v_wallet.relid::regclass, v_wallet.key_column)
                        ELSE '' END;
    v_tol text := _recon.currency_amount_sql(
        _recon.currency_amounts('tolerance', p_options -> 'tolerance', p_options ->> 'currency',
                                NULL, 'RC106'),
        p_options ->> 'currency', CASE WHEN v_cur IS NOT NULL THEN 'j.currency' END, 0);
    v_credit text;
    v_debit text;
    v_col text;
    -- entries without a journal: a finding of their own (issue 18), unless the check declares
    -- them legitimate ("null_journals": "allowed"), then left out
    v_nulls boolean := COALESCE(p_options ->> 'null_journals', 'finding') = 'allowed';
BEGIN
    IF COALESCE(p_options ->> 'null_journals', 'finding') NOT IN ('finding', 'allowed') THEN
        PERFORM _recon.fail('RC106', 'null_journals is "finding" or "allowed"',
                            format('Got %s.', p_options -> 'null_journals'),
                            'docs/CHECKS.md, the journal check.');
    END IF;
    IF v_ledger.amount_mode = 'operation' THEN
        PERFORM _recon.fail(
            'RC106', 'a journal check needs a signed or direction ledger',
            format('Ledger %s is operation-based.', v_ledger.name),
            'Register the journal entries as a direction (credit/debit) or signed ledger.'
        );
    END IF;
    -- a signed or direction ledger moves one balance column: the one its journals concern
    SELECT c.key INTO v_col FROM jsonb_each(v_ledger.effects) AS c LIMIT 1;
    IF v_ledger.amount_mode = 'direction' THEN
        SELECT format('sum(l.%I) FILTER (WHERE l.%I::text = %L)', v_ledger.amount_column,
                      v_ledger.direction_column, e.key)
        INTO v_credit FROM jsonb_each(v_ledger.effects -> v_col) AS e WHERE e.value::numeric > 0;
        SELECT format('sum(l.%I) FILTER (WHERE l.%I::text = %L)', v_ledger.amount_column,
                      v_ledger.direction_column, e.key)
        INTO v_debit FROM jsonb_each(v_ledger.effects -> v_col) AS e WHERE e.value::numeric < 0;
    ELSE
        v_credit := format('sum(l.%1$I) FILTER (WHERE l.%1$I > 0)', v_ledger.amount_column);
        v_debit := format('-sum(l.%1$I) FILTER (WHERE l.%1$I < 0)', v_ledger.amount_column);
    END IF;
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       NULL::text AS wallet_key,
       COALESCE(j.credits, 0)::numeric AS stored,
       COALESCE(j.debits, 0)::numeric AS expected,
       (COALESCE(j.credits, 0) - COALESCE(j.debits, 0))::numeric AS difference,
       jsonb_strip_nulls(jsonb_build_object(
           'item', COALESCE(j.journal::text, '(no journal)')%13$s,
           'journal', j.journal,
           'currency', j.currency,
           'column', %11$L,
           'entries', j.n,
           'wallets', j.wallets,
           'posted_at', j.posted_at,
           'cause', CASE WHEN j.journal IS NULL THEN 'null_journal'
                         WHEN j.n > j.n_amount OR j.n_bad > 0 THEN 'invalid_amount'
                         ELSE 'unbalanced_journal' END
       )) AS details
FROM (
    SELECT l.%2$I AS journal, %3$s AS credits, %4$s AS debits, count(*) AS n,
           count(l.%5$I) AS n_amount, count(*) FILTER (WHERE %6$s) AS n_bad,
           jsonb_agg(DISTINCT l.%7$I) AS wallets, max(%8$s) AS posted_at, %12$s AS currency,
           %14$s AS currencies
    FROM %9$s AS l
    %15$s
    GROUP BY l.%2$I, 9
) AS j
WHERE j.journal IS NULL
   OR j.n > j.n_amount
   OR j.n_bad > 0
   OR abs(COALESCE(j.credits, 0) - COALESCE(j.debits, 0)) > %10$s
   OR j.credits IN ('NaN', 'Infinity', '-Infinity')
   OR j.debits IN ('NaN', 'Infinity', '-Infinity')$sql$,
        p_name, v_journal, v_credit, v_debit, v_ledger.amount_column,
        _recon.unmapped_sql(v_ledger, 'l'), v_ledger.wallet_column,
        _recon.column_sql('l', v_ledger.posted_at_column, 'timestamptz'), _recon.legs_sql(v_raw),
        v_tol, v_col, COALESCE(v_cur, 'NULL::text'),
        -- a journal's findings, one per currency it moves: named by the journal alone when it
        -- moves one (as before the currency option), by journal/currency when it moves several
        CASE WHEN v_cur IS NOT NULL
             THEN ' || CASE WHEN j.currencies > 1 THEN ''/'' || COALESCE(j.currency, '''') '
                  || 'ELSE '''' END' ELSE '' END,
        CASE WHEN v_cur IS NOT NULL THEN format('count(*) OVER (PARTITION BY l.%I)', v_journal)
             ELSE '1' END,
        v_join || CASE WHEN v_nulls THEN format(' WHERE l.%I IS NOT NULL', v_journal)
                       ELSE '' END
    );
END;
$body$;

COMMENT ON FUNCTION _recon.compile_journal(text, jsonb) IS
'Compiles a journal check: per journal transaction, the credits must equal the debits (a signed '
'ledger: the amounts must sum to zero), in each currency its legs move (an entry''s own, else its '
'wallet''s). stored = credits, expected = debits. Entries without a '
'journal are one finding (item "(no journal)", cause null_journal) unless option '
'null_journals is "allowed".';

REVOKE EXECUTE ON FUNCTION _recon.compile_journal(text, jsonb) FROM PUBLIC;
