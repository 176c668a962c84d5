-- _recon.writer_check_ledger(): refuse a writer on a ledger repairs cannot post into.
CREATE OR REPLACE FUNCTION _recon.writer_check_ledger(
    p_name text, p_ledger _recon.ledger_source, p_options jsonb
)
RETURNS void
LANGUAGE plpgsql
VOLATILE
AS $body$
DECLARE
    v_why text;
BEGIN
    -- Every shape repairs read is served (they measure and verify through the legs); an INSERT
    -- cannot write or check a parent row that a filter or effect rule reads.
    v_why := _recon.ledger_writer_refusal(
        p_ledger, CASE WHEN p_options ? 'function' THEN 'function' ELSE 'insert' END);
    IF v_why IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC305', format('a writer cannot be set on ledger source %s: %s', p_name, v_why),
            format('Ledger source %s reads %s with shape %s%s%s.', p_ledger.name,
                   p_ledger.relid::regclass, p_ledger.shape,
                   CASE WHEN p_ledger.parents IS NOT NULL
                        THEN ', parents ' || p_ledger.parents::text ELSE '' END,
                   CASE WHEN p_ledger.filters IS NOT NULL
                        THEN ', filters ' || p_ledger.filters::text ELSE '' END),
            CASE WHEN p_ledger.shape IN ('entries', 'transfer')
                 THEN 'Register a posting function instead ({"function": "schema.post(jsonb)"}): '
                      || 'it writes the row and its parent; the repair is verified through the '
                      || 'ledger''s legs (RC307 otherwise). docs/REPAIRS.md "Writers".'
                 ELSE 'Repair by hand or acknowledge the findings (docs/CHECKS.md "Ledger '
                      || 'shapes").' END);
    END IF;
    -- A float amount or running balance cannot hold what a repair posts exactly.
    IF _recon.float_refusal(p_ledger) IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC320', format('a writer cannot be set on ledger source %s: its %s', p_name,
                            _recon.float_refusal(p_ledger)),
            'Repairs post exact amounts; a float column would round them.',
            'Make the column numeric, or an integer of minor units registered with a "scale" '
            || '(docs/CHECKS.md "Minor units"); until then repair by hand or acknowledge.');
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.writer_check_ledger(text, _recon.ledger_source, jsonb) IS
'For recon.register_writer(p_name, p_options): RC305 when a writer of that kind cannot be set '
'on ledger p_ledger (_recon.ledger_writer_refusal: a shape or parent row an INSERT cannot '
'write), RC320 when its amount or running balance is a float.';

REVOKE EXECUTE ON FUNCTION _recon.writer_check_ledger(text, _recon.ledger_source, jsonb)
FROM PUBLIC;
