-- _recon.currency_amounts(): an amount setting as a map per currency, validated.
CREATE OR REPLACE FUNCTION _recon.currency_amounts(
    p_what text, p_value jsonb, p_currency text, p_per_row text, p_code text
)
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_bad text;
BEGIN
    IF p_value IS NULL OR p_value = 'null' THEN
        RETURN NULL;
    END IF;
    IF jsonb_typeof(p_value) = 'number' THEN
        -- One amount: its check's currency's; with no currency at all, "*". Where each wallet
        -- or entry has a currency of its own and the check names none, one amount would be
        -- read in every currency at once (9.5 BTC as LOW as 9.5 JPY): refused.
        IF p_currency IS NULL AND p_per_row IS NOT NULL THEN
            PERFORM _recon.fail(
                p_code, format('%s must name its currencies', p_what),
                format('Got %s; the amounts of this check are in the currency of each row (%s) '
                       || 'and it names no currency of its own.', p_value, p_per_row),
                format('Give a map, e.g. {"%s": {"USD": %s, "JPY": 1000}}; "*" applies one '
                       || 'amount to every currency not named ({"*": %s}).', p_what, p_value,
                       p_value));
        END IF;
        p_value := jsonb_build_object(COALESCE(p_currency, '*'), p_value);
    END IF;
    IF jsonb_typeof(p_value) <> 'object' THEN
        PERFORM _recon.fail(
            p_code, format('%s must be an amount or a map of amounts per currency', p_what),
            format('Got %s.', p_value),
            format('E.g. {"%s": {"USD": 10, "JPY": 1000, "*": 5}}.', p_what));
    END IF;
    SELECT string_agg(format('%s: %s', to_jsonb(e.key), e.value), ', ' ORDER BY e.key)
    INTO v_bad
    FROM jsonb_each(p_value) AS e
    WHERE btrim(e.key) = '' OR e.key <> btrim(e.key) OR length(e.key) > 32
       OR jsonb_typeof(e.value) <> 'number' OR (e.value::text)::numeric < 0;
    IF v_bad IS NOT NULL THEN
        PERFORM _recon.fail(
            p_code, format('bad %s: %s', p_what, v_bad),
            'Each key is a currency code as the findings carry it (or "*" for every other '
            || 'currency), each value an amount >= 0.',
            format('E.g. {"%s": {"USD": 10, "JPY": 1000, "*": 5}}.', p_what));
    END IF;
    RETURN p_value;
END;
$body$;

COMMENT ON FUNCTION _recon.currency_amounts(text, jsonb, text, text, text) IS
'An amount setting (tolerance, low_limit, wallet_limit, run_limit) as a map {"<currency>": n, '
'"*": n}: a map is checked (keys non-empty codes or "*", values numbers >= 0), one number '
'becomes the map of the check''s currency p_currency, or {"*": n} when the check has no '
'currency at all; refused (p_code, with p_what in the message) when the amounts are in each '
'row''s own currency (p_per_row says whose) and the check names none. NULL stays NULL.';

REVOKE EXECUTE ON FUNCTION _recon.currency_amounts(text, jsonb, text, text, text) FROM PUBLIC;
