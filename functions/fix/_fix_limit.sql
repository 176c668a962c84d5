-- _recon.fix_limit(): a repair limit, validated (RC302).
CREATE OR REPLACE FUNCTION _recon.fix_limit(p_value numeric, p_what text)
RETURNS numeric
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    IF p_value IS NOT NULL AND (p_value < 0 OR p_value IN ('NaN', 'Infinity')) THEN
        PERFORM _recon.fail('RC302', format('invalid %s %s', p_what, p_value),
                            'A limit is a finite amount of zero or more, in the check''s currency.',
                            'Pass NULL for the check''s own limit, or e.g. 100.');
    END IF;
    RETURN p_value;
END;
$body$;

COMMENT ON FUNCTION _recon.fix_limit(numeric, text) IS
'Returns the limit if it is NULL or a finite amount >= 0; RC302 otherwise (negative, NaN, '
'Infinity).';

REVOKE EXECUTE ON FUNCTION _recon.fix_limit(numeric, text) FROM PUBLIC;
