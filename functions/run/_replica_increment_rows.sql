-- _recon.replica_increment_rows(): on a standby, a balance check's findings from its increment.
CREATE OR REPLACE FUNCTION _recon.replica_increment_rows(
    p_check _recon.check_def, p_inc jsonb, p_state jsonb
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_cols integer := cardinality(_recon.balance_columns(p_check.options));
    v_wallet _recon.wallet_source := _recon.wallet(
        (_recon.ledger(p_check.ledger_source)).wallet_source);
    v_reason text := _recon.replica_increment_blocker(p_check, p_inc);
    v_d text;
    v_combined text;
    v_out jsonb;
BEGIN
    IF v_reason IS NULL AND (p_state IS NULL OR p_state ? 'why_full') THEN
        v_reason := COALESCE(p_state ->> 'why_full',
                             'the primary sent no state for the check (recon.replica_state)');
    END IF;
    IF v_reason IS NOT NULL THEN
        RETURN jsonb_build_object('why_full', v_reason);
    END IF;
    SELECT string_agg(format('d.s%s', i), ', ' ORDER BY i),
           string_agg(format(
               ', CASE WHEN s.n IS NULL AND t.n IS NULL THEN NULL '
               || 'ELSE COALESCE(s.sums[%1$s], 0) + COALESCE(t.s%1$s, 0) END AS s%1$s', i),
               '' ORDER BY i)
    INTO v_d, v_combined FROM generate_series(1, v_cols) AS i;
    -- st: the state the primary sent (its keys in the wallet key's type, as the re-check
    -- compares them); s: it with the settled entries d added, exactly as
    -- _recon.balance_add_settled adds them there; then each wallet of rk judged on s plus the
    -- entries above the new bound (t), by the SQL of a full run, as _recon.balance_recheck_sql
    -- judges it on the primary. The wallets: old_rows, written and the written keys that were
    -- no wallet then (new_keys), for the wallet count a run on the primary makes.
    EXECUTE format($q$
        WITH %1$s,
        st AS (SELECT x.k::%5$s AS k, x.n, x.n_amount, x.n_bad, x.sums, x.has_wallet
               FROM jsonb_to_recordset($2 -> 'rows') AS x (
                   k text, n bigint, n_amount bigint, n_bad bigint, sums text, has_wallet boolean)),
        s AS (SELECT COALESCE(st.k, d.k::text::%5$s) AS k,
                     COALESCE(st.n, 0) + COALESCE(d.n, 0) AS n,
                     COALESCE(st.n_amount, 0) + COALESCE(d.n_amount, 0) AS n_amount,
                     COALESCE(st.n_bad, 0) + COALESCE(d.n_bad, 0) AS n_bad,
                     CASE WHEN d.k IS NULL THEN st.sums::numeric[]
                          WHEN st.k IS NULL THEN ARRAY[%2$s]::numeric[]
                          ELSE ARRAY(SELECT CASE WHEN u.x IS NULL THEN u.y
                                                 WHEN u.y IS NULL THEN u.x ELSE u.x + u.y END
                                     FROM unnest(st.sums::numeric[], ARRAY[%2$s]::numeric[])
                                          WITH ORDINALITY AS u (x, y, i)
                                     ORDER BY u.i) END AS sums
              FROM st FULL JOIN d ON d.k::text::%5$s = st.k),
        r AS (SELECT u.k FROM unnest((SELECT rk.ks FROM rk)) AS u (k)),
        e AS (SELECT r.k,
                     NULLIF(COALESCE(s.n, 0) + COALESCE(t.n, 0), 0) AS n,
                     COALESCE(s.n_amount, 0) + COALESCE(t.n_amount, 0) AS n_amount,
                     COALESCE(s.n_bad, 0) + COALESCE(t.n_bad, 0) AS n_bad%3$s
              FROM r LEFT JOIN s ON s.k = r.k LEFT JOIN t ON t.k = r.k),
        g AS (%4$s)
        SELECT jsonb_build_object(
            'findings', (SELECT COALESCE(jsonb_agg(to_jsonb(g) ORDER BY g.finding_key),
                                         '[]'::jsonb) FROM g),
            'old_rows', (SELECT wp.old_rows FROM wp),
            'written', (SELECT cardinality(wp.new_keys) FROM wp),
            'new_keys', to_jsonb(ARRAY(
                SELECT x.k::text FROM wp CROSS JOIN LATERAL unnest(wp.new_keys) AS x (k)
                WHERE NOT EXISTS (SELECT FROM st WHERE st.k = x.k AND st.has_wallet)
                ORDER BY 1)),
            'unsent', (SELECT count(*) FROM r
                       LEFT JOIN jsonb_array_elements_text($2 -> 'keys') AS q (k)
                           ON q.k = r.k::text
                       WHERE r.k IS NOT NULL AND q.k IS NULL))$q$,
        _recon.replica_increment_sql(p_check, p_inc), v_d, v_combined,
        _recon.stage_rows_sql(p_check, _recon.stage_keys_sql(format(
            -- a re-checked key that is neither a wallet nor in the ledger is nothing to report,
            -- as in a full run (and in _recon.balance_recheck_sql)
            'SELECT f.* FROM (%s) AS f WHERE NOT (f.details ->> ''cause'' = ''unknown_wallet'' '
            || 'AND (f.details ->> ''entries'')::bigint = 0)',
            _recon.balance_findings_sql(p_check.name, p_check.options, '(SELECT * FROM e) AS e',
                                        'LEFT')))),
        _recon.column_type(v_wallet.relid, v_wallet.key_column))
    INTO v_out
    USING ((p_inc ->> 'snapshot_xmin')::numeric % 4294967296)::bigint::text::xid, p_state;
    -- the primary sent the state of the keys read here before, in this snapshot: all of them
    IF (v_out ->> 'unsent')::bigint > 0 THEN
        RETURN jsonb_build_object('why_full', format(
            '%s wallet(s) to re-check had no state sent by the primary', v_out ->> 'unsent'));
    END IF;
    -- Wallets then = those unchanged since + those written since that were wallets then
    IF (p_inc ->> 'wallet_rows')::bigint IS DISTINCT FROM (v_out ->> 'old_rows')::bigint
        + (v_out ->> 'written')::bigint - jsonb_array_length(v_out -> 'new_keys') THEN
        RETURN jsonb_build_object('why_full', format(
            '%s wallet(s) deleted, or their key changed, since the watermark',
            (p_inc ->> 'wallet_rows')::bigint - (v_out ->> 'old_rows')::bigint
            - (v_out ->> 'written')::bigint + jsonb_array_length(v_out -> 'new_keys')));
    END IF;
    RETURN v_out - 'unsent';
END;
$body$;

COMMENT ON FUNCTION _recon.replica_increment_rows(_recon.check_def, jsonb, jsonb) IS
'On a standby, in the snapshot of recon.replica_findings: balance check p_check''s findings '
'from the increment p_inc (recon.replica_increment_target) and the state the primary sent '
'(p_state, recon.replica_state: {keys, rows}), as a run on the primary judges them '
'(_recon.balance_add_settled, _recon.balance_recheck_sql, the same _recon.balance_findings_sql, '
'staged by _recon.stage_keys_sql and _recon.stage_rows_sql): {findings, old_rows, written, '
'new_keys}; or {why_full} when the increment cannot be shown to equal a full read (a wallet '
'deleted or re-keyed, state missing, _recon.replica_increment_blocker).';

REVOKE EXECUTE ON FUNCTION _recon.replica_increment_rows(_recon.check_def, jsonb, jsonb)
FROM PUBLIC;
