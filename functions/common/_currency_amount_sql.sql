-- _recon.currency_amount_sql(): a check's per-currency amount as a SQL expression per row.
CREATE OR REPLACE FUNCTION _recon.currency_amount_sql(
    p_map jsonb, p_currency text, p_row_currency text, p_else numeric
)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_else numeric := COALESCE(_recon.currency_amount(p_map, p_currency), p_else);
    v_cases text;
BEGIN
    -- one amount for every row: a literal, as 0.1 compiled it
    IF p_row_currency IS NULL OR p_map IS NULL
       OR NOT EXISTS (SELECT FROM jsonb_object_keys(p_map) AS k WHERE k <> '*') THEN
        RETURN format('%s::numeric', v_else);
    END IF;
    -- keys quoted as literals, values cast to numeric: nothing of the map is SQL text
    SELECT string_agg(format('WHEN %L THEN %s', e.key, (e.value #>> '{}')::numeric), ' '
                      ORDER BY e.key)
    INTO v_cases
    FROM jsonb_each(p_map) AS e WHERE e.key <> '*';
    -- the row's currency, else the check's; a currency not in the map: "*", else p_else
    RETURN format('COALESCE(CASE COALESCE(%s, %L) %s END, %s)::numeric', p_row_currency,
                  p_currency, v_cases, COALESCE(_recon.currency_amount(p_map, NULL), p_else));
END;
$body$;

COMMENT ON FUNCTION _recon.currency_amount_sql(jsonb, text, text, numeric) IS
'SQL for the amount a map per currency gives each row of a compiled check: p_row_currency is '
'the row''s currency expression (a wallet''s or an entry''s currency column; NULL: none), '
'p_currency the check''s own currency (for rows without one), p_else the amount when the map '
'has neither the currency nor "*". A literal when every row gets the same amount.';

REVOKE EXECUTE ON FUNCTION _recon.currency_amount_sql(jsonb, text, text, numeric) FROM PUBLIC;
