-- _recon.fix_strategies(): the repairs a check kind allows, its default first.
CREATE OR REPLACE FUNCTION _recon.fix_strategies(p_kind text)
RETURNS text[]
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT COALESCE((SELECT k.strategies FROM _recon.check_kind AS k WHERE k.kind = p_kind),
                    ARRAY['none', 'acknowledge']);
$body$;

COMMENT ON FUNCTION _recon.fix_strategies(text) IS
'The repairs recon.fix() can apply to a check kind''s findings, the default first, as the '
'registry _recon.check_kind lists them: balance resync (the ledger is the book of record), '
'derived move, orphan post_missing, duplicate reverse; the other kinds need a human (none) or '
'an audited acknowledgement.';

REVOKE EXECUTE ON FUNCTION _recon.fix_strategies(text) FROM PUBLIC;
