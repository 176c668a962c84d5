-- _recon.writer_moves_balances(): the "moves_balances" option of recon.register_writer, checked.
CREATE OR REPLACE FUNCTION _recon.writer_moves_balances(p_ledger text, p_options jsonb)
RETURNS boolean
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    IF NOT p_options ? 'moves_balances' THEN
        RETURN FALSE;
    END IF;
    IF jsonb_typeof(p_options -> 'moves_balances') <> 'boolean' THEN
        PERFORM _recon.fail('RC305', '"moves_balances" must be true or false',
                            format('Got %s.', p_options -> 'moves_balances'),
                            'true: the posting function moves the stored balances itself.');
    END IF;
    IF (p_options ->> 'moves_balances')::boolean AND NOT p_options ? 'function' THEN
        PERFORM _recon.fail(
            'RC305', format('a ledger-first writer of ledger %s needs a posting function',
                            p_ledger),
            '"moves_balances" says that the posting routine moves the stored balances itself; '
            || 'an INSERT writer writes ledger rows only.',
            'Wrap the ledger''s own posting routine in fn(request jsonb) RETURNS jsonb and '
            || 'register {"function": "schema.fn(jsonb)", "moves_balances": true}; '
            || 'docs/REPAIRS.md "Ledger-first writers".');
    END IF;
    RETURN (p_options ->> 'moves_balances')::boolean;
END;
$body$;

COMMENT ON FUNCTION _recon.writer_moves_balances(text, jsonb) IS
'Whether writer options p_options (recon.register_writer, ledger p_ledger) declare a '
'ledger-first writer ("moves_balances": true); RC305 for a value that is not a boolean, or for '
'true without a posting function.';

REVOKE EXECUTE ON FUNCTION _recon.writer_moves_balances(text, jsonb) FROM PUBLIC;
