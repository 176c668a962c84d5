-- _recon.recheck_sql(): a check's findings now, for the wallets in $1 only.
CREATE OR REPLACE FUNCTION _recon.recheck_sql(p_check _recon.check_def)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_ledger _recon.ledger_source;
    v_wallet _recon.wallet_source;
    v_key_type regtype;
    v_cols integer;
    v_sums text;
    v_inner text;
BEGIN
    IF p_check.kind = 'balance' THEN
        -- The ledger aggregated for these wallets only (an index on its wallet column serves it),
        -- judged by the same SQL as the check's view.
        v_ledger := _recon.ledger(p_check.ledger_source);
        v_wallet := _recon.wallet(v_ledger.wallet_source);
        v_key_type := _recon.column_type(v_wallet.relid, v_wallet.key_column);
        v_cols := cardinality(_recon.balance_columns(p_check.options));
        SELECT string_agg(', t.s' || i, '' ORDER BY i) INTO v_sums
        FROM generate_series(1, v_cols) AS i;
        -- A NULL in $1 asks for the entries of no wallet (the unknown_wallet finding keyed
        -- '-'): their group is kept from the FULL JOIN, whose key stays hashable (r has no
        -- NULL; t has no key outside $1). Without a NULL in $1 the filter folds to = ANY.
        v_inner := _recon.balance_findings_sql(p_check.name, p_check.options, format(
            '(WITH t AS (%1$s) SELECT r.k, t.n, t.n_amount, t.n_bad%2$s '
            || 'FROM (SELECT DISTINCT k FROM unnest($1::%3$s[]) AS k WHERE k IS NOT NULL) AS r '
            || 'FULL JOIN t ON t.k = r.k WHERE r.k IS NOT NULL OR t.k IS NULL) AS e',
            _recon.balance_agg_sql(p_check.options, format(
                '(l.wallet = ANY ($1::%1$s[]) OR (l.wallet IS NULL '
                || 'AND array_position($1::%1$s[], NULL) IS NOT NULL))', v_key_type)),
            v_sums, v_key_type), 'LEFT');
        -- a key that is neither a wallet nor in the ledger is nothing to report
        v_inner := format('SELECT f.* FROM (%s) AS f WHERE NOT (f.details ->> %L = %L '
                          || 'AND (f.details ->> %L)::bigint = 0)',
                          v_inner, 'cause', 'unknown_wallet', 'entries');
    ELSE
        -- findings of no wallet (a journal, a total) are rechecked whole
        v_inner := format('SELECT f.* FROM recon.%I AS f '
                          || 'WHERE f.wallet_key = ANY ($1) OR f.wallet_key IS NULL',
                          p_check.view_name);
    END IF;
    RETURN format('SELECT g.check_name, g.wallet_key, g.stored, g.expected, g.difference, '
                  || 'g.details, concat_ws(''/'', COALESCE(g.wallet_key, ''-''), '
                  || 'g.details ->> ''item'') AS finding_key FROM (%s) AS g', v_inner);
END;
$body$;

COMMENT ON FUNCTION _recon.recheck_sql(_recon.check_def) IS
'A query of a check''s findings now, for the wallet keys in $1 (text[]) only, with each '
'finding''s key: a balance check aggregates only those wallets'' entries (a NULL in $1: also '
'the entries of no wallet, the unknown_wallet finding keyed ''-''); other kinds filter '
'their view (keeping the findings of no wallet: journals, totals). recon.fix() runs it under '
'the wallet locks, before and after repairing.';

REVOKE EXECUTE ON FUNCTION _recon.recheck_sql(_recon.check_def) FROM PUBLIC;
