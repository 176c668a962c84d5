-- _recon.severity_rank(): LOW 1, MEDIUM 2, HIGH 3, CRITICAL 4 (for ordering and max()).
CREATE OR REPLACE FUNCTION _recon.severity_rank(p_severity text)
RETURNS integer
LANGUAGE sql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT CASE p_severity WHEN 'LOW' THEN 1 WHEN 'MEDIUM' THEN 2 WHEN 'HIGH' THEN 3
                           WHEN 'CRITICAL' THEN 4 END;
$body$;

COMMENT ON FUNCTION _recon.severity_rank(text) IS
'Orders severities: LOW 1, MEDIUM 2, HIGH 3, CRITICAL 4; NULL for anything else.';

REVOKE EXECUTE ON FUNCTION _recon.severity_rank(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION _recon.severity_rank(text) TO recon_auditor, recon_operator;
