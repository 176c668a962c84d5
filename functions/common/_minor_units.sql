-- _recon.minor_units(): an amount in major units as whole minor units, or an error.
CREATE OR REPLACE FUNCTION _recon.minor_units(p_amount numeric, p_places integer, p_what text)
RETURNS numeric
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_minor numeric;
BEGIN
    IF p_amount IS NULL THEN
        RETURN NULL;
    END IF;
    IF p_places IS NULL OR p_places NOT BETWEEN 0 AND 38 THEN
        PERFORM _recon.fail(
            'RC321', format('%s: no usable scale to write %s in minor units', p_what, p_amount),
            format('The scale of the row is %s decimal places.', COALESCE(p_places::text, 'NULL')),
            'Give the row a scale (its precision or decimal places column), or repair by hand.');
    END IF;
    v_minor := p_amount * ('1e' || p_places)::numeric;
    IF v_minor <> trunc(v_minor) THEN
        PERFORM _recon.fail(
            'RC321', format('%s: %s is not a whole number of minor units', p_what, p_amount),
            format('The column holds minor units at %s decimal places: %s would be %s units, '
                   || 'and it is never rounded.', p_places, p_amount, v_minor),
            'Repair by hand (or acknowledge): the amount needs a finer scale than the column '
            || 'has, e.g. a precision of 100000000 for satoshis.');
    END IF;
    RETURN trunc(v_minor);
END;
$body$;

COMMENT ON FUNCTION _recon.minor_units(numeric, integer, text) IS
'p_amount (major units) as a whole number of minor units at p_places decimal places; RC321 when '
'it is not whole (never rounded) or there is no usable scale (NULL, out of 0..38). p_what names '
'the column in the error. Writers and repairs write integer minor-unit columns through it.';

REVOKE EXECUTE ON FUNCTION _recon.minor_units(numeric, integer, text) FROM PUBLIC;
