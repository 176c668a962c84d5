-- _recon.fix_strategies(): the repairs a check kind allows, its default first.
CREATE OR REPLACE FUNCTION _recon.fix_strategies(p_kind text)
RETURNS text[]
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT CASE p_kind
        WHEN 'balance' THEN ARRAY['resync', 'adjust', 'acknowledge', 'none']
        WHEN 'derived' THEN ARRAY['move', 'acknowledge', 'none']
        WHEN 'orphan' THEN ARRAY['post_missing', 'acknowledge', 'none']
        WHEN 'duplicate' THEN ARRAY['reverse', 'acknowledge', 'none']
        ELSE ARRAY['none', 'acknowledge']
    END;
$body$;

COMMENT ON FUNCTION _recon.fix_strategies(text) IS
'The repairs recon.fix() can apply to a check kind''s findings, the default first: balance '
'resync (the ledger is the book of record), derived move, orphan post_missing, duplicate '
'reverse; the other kinds need a human (none) or an audited acknowledgement.';

REVOKE EXECUTE ON FUNCTION _recon.fix_strategies(text) FROM PUBLIC;
