-- _recon.currency_amount(): a currency's amount in a map per currency, or its "*" default.
CREATE OR REPLACE FUNCTION _recon.currency_amount(p_map jsonb, p_currency text)
RETURNS numeric
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
RETURN coalesce((p_map ->> p_currency)::numeric, (p_map ->> '*')::numeric);

COMMENT ON FUNCTION _recon.currency_amount(jsonb, text) IS
'The amount a map per currency ({"USD": 10, "*": 5}) gives p_currency: its own entry, else '
'"*", else NULL (no amount: no limit applies, and none is assumed). A NULL currency (unknown) '
'gets "*" only.';

REVOKE EXECUTE ON FUNCTION _recon.currency_amount(jsonb, text) FROM PUBLIC;
