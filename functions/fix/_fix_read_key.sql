-- _recon.fix_read_key(): the key of one planner read (its query and parameters).
CREATE OR REPLACE FUNCTION _recon.fix_read_key(
    p_sql text, p_1 text[], p_2 text[], p_3 jsonb
)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT encode(sha256(convert_to(jsonb_build_array(p_sql, p_1, p_2, p_3)::text, 'UTF8')),
                  'hex');
$body$;

COMMENT ON FUNCTION _recon.fix_read_key(text, text[], text[], jsonb) IS
'The key of one read of recon.fix()''s planner (_recon.fix_read): a SHA-256 of its query and '
'parameters.';

REVOKE EXECUTE ON FUNCTION _recon.fix_read_key(text, text[], text[], jsonb) FROM PUBLIC;
