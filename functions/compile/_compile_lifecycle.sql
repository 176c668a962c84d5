-- _recon.compile_lifecycle(): holds never resolved, resolved twice, or over-resolved (seed 001).
CREATE OR REPLACE FUNCTION _recon.compile_lifecycle(p_name text, p_options jsonb)
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
                                            'lifecycle');
    v_op name := _recon.require_column(v_ledger, v_ledger.operation_column, 'operation',
                                       'lifecycle');
    v_hold text := p_options ->> 'hold';
    v_terminal text;
    v_status text;
    v_join text;
    v_pending text;
    v_stale text;
    v_column text;
BEGIN
    -- The hold and its resolutions are kinds of entry of the ledger.
    v_terminal := _recon.compile_lifecycle_terminal(v_ledger, v_hold, p_options);
    -- The transaction's status: from a status table, else from the ledger's latest entry.
    SELECT s.p_status, s.p_join INTO v_status, v_join
    FROM _recon.compile_lifecycle_status(v_raw, v_ledger, p_options) AS s;
    -- When a hold may stay open: a pending status, or until "max_pending".
    SELECT p.p_pending, p.p_stale INTO v_pending, v_stale
    FROM _recon.compile_lifecycle_pending(v_ledger, p_options, v_status) AS p;
    -- The balance column the hold concerns: the one its entry moves up (on_hold), else the first
    -- it moves.
    SELECT c.b INTO v_column
    FROM unnest((_recon.wallet(v_ledger.wallet_source)).balance_columns) WITH ORDINALITY AS c (b, o)
    WHERE (v_ledger.effects -> c.b ->> v_hold)::numeric <> 0
    ORDER BY (v_ledger.effects -> c.b ->> v_hold)::numeric > 0 DESC, c.o LIMIT 1;
    RETURN format(
        $sql$SELECT %1$L::text AS check_name,
       g.k::text AS wallet_key,
       COALESCE(g.resolved, 0)::numeric AS stored,
       g.held::numeric AS expected,
       (COALESCE(g.resolved, 0) - g.held)::numeric AS difference,
       jsonb_strip_nulls(jsonb_build_object(
           'item', g.journal::text,
           'transaction', g.journal,
           'column', %16$L,
           'holds', g.holds,
           'resolutions', g.resolutions,
           'status', %2$s,
           'posted_at', g.last_at,
           'cause', CASE
               WHEN g.resolutions > g.holds THEN 'hold_resolved_twice'
               WHEN COALESCE(g.resolved, 0) > g.held THEN 'hold_over_resolved'
               ELSE 'hold_not_resolved'
           END
       )) AS details
FROM (
    SELECT l.%3$I AS journal,
           l.%4$I AS k,
           count(*) FILTER (WHERE l.%5$I::text = %6$L) AS holds,
           count(*) FILTER (WHERE l.%5$I::text IN (%7$s)) AS resolutions,
           sum(l.%8$I) FILTER (WHERE l.%5$I::text = %6$L) AS held,
           sum(l.%8$I) FILTER (WHERE l.%5$I::text IN (%7$s)) AS resolved,
           max(%9$s) AS last_at,
           (array_agg(%10$s ORDER BY %11$s))[1]::text AS last_status
    FROM %12$s AS l
    WHERE l.%3$I IS NOT NULL
    GROUP BY l.%3$I, l.%4$I
    HAVING count(*) FILTER (WHERE l.%5$I::text = %6$L) > 0
) AS g
%13$s
WHERE g.resolutions > g.holds
   OR COALESCE(g.resolved, 0) > g.held
   -- no resolution, or fewer resolutions than holds for less than held (a resolution
   -- undone by a hold posted into the transaction: recon.reverse_fix), once no longer pending
   OR ((g.resolutions = 0 OR (g.resolutions < g.holds AND COALESCE(g.resolved, 0) < g.held))
       AND ((%14$s) OR (%15$s)))$sql$,
        p_name, v_status, v_journal, v_ledger.wallet_column, v_op, v_hold, v_terminal,
        v_ledger.amount_column, _recon.column_sql('l', v_ledger.posted_at_column, 'timestamptz'),
        _recon.column_sql('l', v_ledger.status_column, 'text'),
        _recon.entry_order_sql(v_ledger, 'l', 'DESC'), _recon.legs_sql(v_raw), v_join, v_pending,
        v_stale, v_column
    );
END;
$body$;

COMMENT ON FUNCTION _recon.compile_lifecycle(text, jsonb) IS
'Compiles a lifecycle check over an operation ledger with a journal (transaction) column: per '
'transaction and wallet, a "hold" must be resolved by at most one "terminal" operation, for at '
'most the held amount, and must be resolved once the transaction''s status is no longer '
'"pending" (status from status_table/status_key/status_column, else the ledger''s status of the '
'latest entry) or after "max_pending" (fewer resolutions than holds, for less than held, is '
'not resolved either: a resolution recon.reverse_fix() undid by a hold in the transaction).';

REVOKE EXECUTE ON FUNCTION _recon.compile_lifecycle(text, jsonb) FROM PUBLIC;
