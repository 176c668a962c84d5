-- _recon.compile_check(): a check's SQL, from its kind's compiler in the registry.
CREATE OR REPLACE FUNCTION _recon.compile_check(
    p_kind _recon.check_kind, p_name text, p_options jsonb
)
RETURNS text
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_proc regprocedure;
    v_call text;
    v_sql text;
BEGIN
    -- 1. The compiler the row names: compiler(text, jsonb) RETURNS text, schema-qualified.
    BEGIN
        v_proc := to_regprocedure(format('%s(text, jsonb)', p_kind.compiler));
    EXCEPTION WHEN OTHERS THEN
        v_proc := NULL;  -- a malformed name (PostgreSQL before 16 raises on some)
    END;
    SELECT format('%I.%I', n.nspname, p.proname) INTO v_call
    FROM pg_proc AS p
    JOIN pg_namespace AS n ON n.oid = p.pronamespace
    WHERE p.oid = v_proc AND p.prorettype = 'text'::regtype AND p.prokind = 'f';
    IF v_call IS NULL THEN
        PERFORM _recon.fail(
            'RC106', format('check kind %L has no compiler %s(text, jsonb) returning text',
                            p_kind.kind, p_kind.compiler),
            format('_recon.check_kind names %L as its compiler.', p_kind.compiler),
            'Create the function, or correct the row (docs/CHECKS.md, "Adding a check kind").'
        );
    END IF;
    -- 2. Called with the check's name and options (table names already schema-qualified).
    EXECUTE format('SELECT %s($1, $2)', v_call) INTO v_sql USING p_name, p_options;
    -- 3. A check reading float amounts or balances says so on each finding (docs/CHECKS.md
    --    "Minor units"); any other check's SQL is the compiler's, unchanged.
    IF cardinality(_recon.check_floats(p_options)) > 0 THEN
        v_sql := format('SELECT f.check_name, f.wallet_key, f.stored, f.expected, f.difference, '
                        || 'f.details || %L::jsonb AS details FROM (%s) AS f',
                        jsonb_build_object('float_amounts', TRUE), v_sql);
    END IF;
    RETURN v_sql;
END;
$body$;

COMMENT ON FUNCTION _recon.compile_check(_recon.check_kind, text, jsonb) IS
'Compiles a check with its kind''s compiler (_recon.check_kind.compiler, called as '
'compiler(p_name, p_options)) and returns the SELECT of its view; RC106 if the kind names no such '
'function; a check reading float amounts or balances (_recon.check_floats) gets "float_amounts": '
'true in every finding''s details. Used by recon.register_check() and _recon.recompile_checks().';

REVOKE EXECUTE ON FUNCTION _recon.compile_check(_recon.check_kind, text, jsonb) FROM PUBLIC;
