-- _recon.compile_lifecycle_status(): where a lifecycle check reads a transaction's status.
CREATE OR REPLACE FUNCTION _recon.compile_lifecycle_status(
    p_raw _recon.ledger_source, p_ledger _recon.ledger_source, p_options jsonb,
    OUT p_status text, OUT p_join text
)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_relid oid;
BEGIN
    p_status := 'NULL::text';
    p_join := '';
    -- The transaction's status: from a status table, else from the ledger's latest entry.
    IF p_options ? 'status_table' THEN
        IF NOT (p_options ? 'status_key' AND p_options ? 'status_column') THEN
            PERFORM _recon.fail('RC106', '"status_table" needs "status_key" and "status_column"',
                                'They name the transaction id and its status in that table.',
                                'E.g. {"status_table": "transaction", "status_key": "id", '
                                || '"status_column": "status"}.');
        END IF;
        v_relid := _recon.resolve_table(p_options ->> 'status_table');
        p_join := format(
            'LEFT JOIN %s AS st ON st.%I = g.journal', v_relid::regclass,
            _recon.resolve_column(v_relid, p_options ->> 'status_key', 'the transaction key'));
        PERFORM _recon.same_key_type(v_relid, (p_options ->> 'status_key')::name, p_raw.relid,
                                     p_raw.journal_column);
        p_status := format('st.%I::text', _recon.resolve_column(
            v_relid, p_options ->> 'status_column', 'the transaction status'));
    ELSIF p_ledger.status_column IS NOT NULL THEN
        p_status := 'g.last_status';
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.compile_lifecycle_status(
    _recon.ledger_source, _recon.ledger_source, jsonb
) IS
'For _recon.compile_lifecycle over ledger p_raw (legs p_ledger): the SQL of a transaction''s '
'status (p_status: the status table''s column, joined by p_join, when p_options names '
'"status_table", "status_key" and "status_column"; else the latest entry''s status '
'g.last_status; else NULL::text). RC101, RC102, RC106 for a bad status table.';

REVOKE EXECUTE ON FUNCTION _recon.compile_lifecycle_status(
    _recon.ledger_source, _recon.ledger_source, jsonb
) FROM PUBLIC;
