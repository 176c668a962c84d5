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
    v_status text := 'NULL::text';
    v_join text := '';
    v_pending text := 'FALSE';
    v_stale text := 'FALSE';
    v_relid oid;
    v_column text;
BEGIN
    IF jsonb_typeof(p_options -> 'terminal') IS DISTINCT FROM 'array'
        OR jsonb_array_length(p_options -> 'terminal') = 0 THEN
        PERFORM _recon.fail('RC106', '"terminal" must be a non-empty array',
                            'It lists the operation types that resolve a hold.',
                            'E.g. ["RELEASE", "DEBIT"].');
    END IF;
    SELECT string_agg(quote_literal(t), ', ') INTO v_terminal
    FROM jsonb_array_elements_text(p_options -> 'terminal') AS t;
    -- The hold and its resolutions are kinds of entry of the ledger (operation values, or rule
    -- labels): one it never has would make a check that can find nothing.
    IF NOT EXISTS (SELECT FROM jsonb_each(v_ledger.effects) AS c, jsonb_object_keys(c.value) AS k
                   WHERE k = ANY (v_hold || ARRAY(
                       SELECT jsonb_array_elements_text(p_options -> 'terminal')))
                   HAVING count(DISTINCT k) = 1 + jsonb_array_length(p_options -> 'terminal'))
        THEN
        PERFORM _recon.fail(
            'RC106', format('"hold" %L or a "terminal" value is not a kind of entry of ledger %s',
                            v_hold, v_ledger.name),
            format('Its kinds: %s.', (SELECT string_agg(DISTINCT k, ', ' ORDER BY k)
                                      FROM jsonb_each(v_ledger.effects) AS c,
                                           jsonb_object_keys(c.value) AS k)),
            'Name operation values (or, for effects keyed on several columns, rule labels).'
        );
    END IF;
    -- The transaction's status: from a status table, else from the ledger's latest entry.
    IF p_options ? 'status_table' THEN
        IF NOT (p_options ? 'status_key' AND p_options ? 'status_column') THEN
            PERFORM _recon.fail('RC106', '"status_table" needs "status_key" and "status_column"',
                                'They name the transaction id and its status in that table.',
                                'E.g. {"status_table": "transaction", "status_key": "id", '
                                || '"status_column": "status"}.');
        END IF;
        v_relid := _recon.resolve_table(p_options ->> 'status_table');
        v_join := format(
            'LEFT JOIN %s AS st ON st.%I = g.journal', v_relid::regclass,
            _recon.resolve_column(v_relid, p_options ->> 'status_key', 'the transaction key'));
        PERFORM _recon.same_key_type(v_relid, (p_options ->> 'status_key')::name, v_raw.relid,
                                     v_raw.journal_column);
        v_status := format('st.%I::text', _recon.resolve_column(
            v_relid, p_options ->> 'status_column', 'the transaction status'));
    ELSIF v_ledger.status_column IS NOT NULL THEN
        v_status := 'g.last_status';
    END IF;
    IF p_options ? 'pending' THEN
        IF v_status = 'NULL::text' THEN
            PERFORM _recon.fail('RC106', '"pending" needs a transaction status',
                                'Neither "status_table" nor a ledger status column is registered.',
                                'Add status_table/status_key/status_column, or register the '
                                || 'ledger with {"status": "<column>"}.');
        END IF;
        IF jsonb_typeof(p_options -> 'pending') <> 'array' THEN
            PERFORM _recon.fail('RC106', '"pending" must be an array',
                                'It lists the statuses under which a hold may stay open.',
                                'E.g. ["PENDING"].');
        END IF;
        SELECT format('%s IS NOT NULL AND %s NOT IN (%s)', v_status, v_status,
                      string_agg(quote_literal(s), ', '))
        INTO v_pending FROM jsonb_array_elements_text(p_options -> 'pending') AS s;
    END IF;
    -- The statuses that tell a lifecycle repair (strategy resolve) to commit or to release.
    FOREACH v_column IN ARRAY ARRAY['approved', 'canceled'] LOOP
        CONTINUE WHEN NOT p_options ? v_column;
        IF jsonb_typeof(p_options -> v_column) IS DISTINCT FROM 'array'
            OR jsonb_array_length(p_options -> v_column) = 0
            OR EXISTS (SELECT FROM jsonb_array_elements(p_options -> v_column) AS s
                       WHERE jsonb_typeof(s) <> 'string') THEN
            PERFORM _recon.fail('RC106', format('"%s" must be a non-empty array of statuses',
                                                v_column),
                                'It lists the transaction statuses under which a hold left open '
                                || 'is committed ("approved") or released ("canceled").',
                                'E.g. {"approved": ["APPROVED"], "canceled": ["CANCELED"]}.');
        END IF;
        IF v_status = 'NULL::text' THEN
            PERFORM _recon.fail('RC106', format('"%s" needs a transaction status', v_column),
                                'Neither "status_table" nor a ledger status column is registered.',
                                'Add status_table/status_key/status_column, or register the '
                                || 'ledger with {"status": "<column>"}.');
        END IF;
    END LOOP;
    v_column := NULL;
    IF p_options ? 'max_pending' THEN
        PERFORM _recon.require_column(v_ledger, v_ledger.posted_at_column, 'posted_at',
                                      'lifecycle with max_pending');
        BEGIN
            PERFORM (p_options ->> 'max_pending')::interval;
        EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow
            OR interval_field_overflow THEN
            PERFORM _recon.fail('RC106', format('"max_pending" %L is not an interval',
                                                p_options ->> 'max_pending'),
                                'It is how long a hold may stay unresolved.', 'E.g. "1 day".');
        END;
        v_stale := format('g.last_at < now() - %L::interval', p_options ->> 'max_pending');
    END IF;
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
   OR (g.resolutions = 0 AND ((%14$s) OR (%15$s)))$sql$,
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
'latest entry) or after "max_pending".';

REVOKE EXECUTE ON FUNCTION _recon.compile_lifecycle(text, jsonb) FROM PUBLIC;
