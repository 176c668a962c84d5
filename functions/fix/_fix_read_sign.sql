-- _recon.fix_read_sign(): the primary's signature on one read it asks a standby for.
CREATE OR REPLACE FUNCTION _recon.fix_read_sign(p_secret text, p_key text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT encode(sha256(convert_to(p_secret || ':' || encode(sha256(convert_to(
               p_secret || ':' || p_key, 'UTF8')), 'hex'), 'UTF8')), 'hex');
$body$;

COMMENT ON FUNCTION _recon.fix_read_sign(text, text) IS
'The signature of a planner read (its key, _recon.fix_read_key) under a target''s secret '
'(_recon.replica_target.read_secret, which no caller can read): recon.replica_fix_read() on '
'the standby runs only a query the primary signed, so a caller cannot have the toolkit''s '
'owner read anything else.';

REVOKE EXECUTE ON FUNCTION _recon.fix_read_sign(text, text) FROM PUBLIC;
