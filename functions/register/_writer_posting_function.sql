-- _recon.writer_posting_function(): a writer's posting function, resolved and of its signature.
CREATE OR REPLACE FUNCTION _recon.writer_posting_function(p_options jsonb)
RETURNS regprocedure
LANGUAGE plpgsql
VOLATILE
AS $body$
DECLARE
    v_fn regprocedure;
BEGIN
    IF p_options ? 'columns' THEN
        PERFORM _recon.fail('RC305', 'a writer has "function" or "columns", not both',
                            'A posting function writes its own rows.',
                            'Drop "columns", or drop "function" to use an INSERT.');
    END IF;
    BEGIN
        v_fn := (p_options ->> 'function')::regprocedure;
    EXCEPTION WHEN undefined_function OR invalid_text_representation OR syntax_error
                   OR invalid_schema_name OR undefined_object THEN
        PERFORM _recon.fail(
            'RC305', format('unknown posting function %L', p_options ->> 'function'),
            SQLERRM, 'Give it with its argument type, e.g. "ledger.post_recon(jsonb)".');
    END;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_proc AS p
                   WHERE p.oid = v_fn AND p.prorettype = 'jsonb'::regtype
                     AND p.pronargs = 1 AND p.proargtypes[0] = 'jsonb'::regtype
                     AND p.prokind = 'f' AND NOT p.proretset) THEN
        PERFORM _recon.fail(
            'RC305', format('posting function %s has the wrong signature', v_fn),
            'A posting function takes the posting request and returns the entries: '
            || 'fn(request jsonb) RETURNS jsonb.', 'docs/REPAIRS.md describes the request.');
    END IF;
    RETURN v_fn;
END;
$body$;

COMMENT ON FUNCTION _recon.writer_posting_function(jsonb) IS
'For recon.register_writer: the posting function p_options names ("function", resolved on '
'the caller''s search_path), which must be fn(jsonb) RETURNS jsonb; RC305 when it is unknown, '
'of another signature, or given with "columns".';

REVOKE EXECUTE ON FUNCTION _recon.writer_posting_function(jsonb) FROM PUBLIC;
