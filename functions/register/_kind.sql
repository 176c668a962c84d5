-- _recon.kind(): a registered check kind by name (RC106, listing the kinds, if there is none).
CREATE OR REPLACE FUNCTION _recon.kind(p_kind text)
RETURNS _recon.check_kind
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_kind _recon.check_kind;
BEGIN
    SELECT k.* INTO v_kind FROM _recon.check_kind AS k WHERE k.kind = p_kind;
    IF NOT FOUND THEN
        PERFORM _recon.fail(
            'RC106', format('unknown check kind %L', p_kind),
            format('Kinds: %s.', (SELECT string_agg(k.kind, ', ' ORDER BY k.kind)
                                  FROM _recon.check_kind AS k)),
            'docs/CHECKS.md describes each kind with an example; SELECT * FROM '
            || 'recon.kinds; lists them with their options.'
        );
    END IF;
    RETURN v_kind;
END;
$body$;

COMMENT ON FUNCTION _recon.kind(text) IS
'The registered check kind of that name (_recon.check_kind); RC106 listing the kinds if none.';

REVOKE EXECUTE ON FUNCTION _recon.kind(text) FROM PUBLIC;
