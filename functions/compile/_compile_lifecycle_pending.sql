-- _recon.compile_lifecycle_pending(): when a lifecycle check lets a hold stay open.
CREATE OR REPLACE FUNCTION _recon.compile_lifecycle_pending(
    p_ledger _recon.ledger_source, p_options jsonb, p_status text,
    OUT p_pending text, OUT p_stale text
)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_column text;
BEGIN
    p_pending := 'FALSE';
    p_stale := 'FALSE';
    IF p_options ? 'pending' THEN
        IF p_status = 'NULL::text' THEN
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
        SELECT format('%s IS NOT NULL AND %s NOT IN (%s)', p_status, p_status,
                      string_agg(quote_literal(s), ', '))
        INTO p_pending FROM jsonb_array_elements_text(p_options -> 'pending') AS s;
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
        IF p_status = 'NULL::text' THEN
            PERFORM _recon.fail('RC106', format('"%s" needs a transaction status', v_column),
                                'Neither "status_table" nor a ledger status column is registered.',
                                'Add status_table/status_key/status_column, or register the '
                                || 'ledger with {"status": "<column>"}.');
        END IF;
    END LOOP;
    IF p_options ? 'max_pending' THEN
        PERFORM _recon.require_column(p_ledger, p_ledger.posted_at_column, 'posted_at',
                                      'lifecycle with max_pending');
        BEGIN
            PERFORM (p_options ->> 'max_pending')::interval;
        EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow
            OR interval_field_overflow THEN
            PERFORM _recon.fail('RC106', format('"max_pending" %L is not an interval',
                                                p_options ->> 'max_pending'),
                                'It is how long a hold may stay unresolved.', 'E.g. "1 day".');
        END;
        p_stale := format('g.last_at < now() - %L::interval', p_options ->> 'max_pending');
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.compile_lifecycle_pending(_recon.ledger_source, jsonb, text) IS
'For _recon.compile_lifecycle: the SQL conditions under which a hold not resolved is a '
'finding: p_pending, its transaction''s status (p_status) is not one of "pending"; p_stale, '
'its last entry is older than "max_pending". Checks "approved" and "canceled" (the '
'statuses a resolve repair follows). RC106 when one needs a status none is registered for, '
'or is not of its type.';

REVOKE EXECUTE ON FUNCTION _recon.compile_lifecycle_pending(_recon.ledger_source, jsonb, text)
FROM PUBLIC;
