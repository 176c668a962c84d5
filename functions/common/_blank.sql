-- _recon.blank(): whether a ticket, reason or note says nothing (NULL or only whitespace).
CREATE OR REPLACE FUNCTION _recon.blank(p_text text)
RETURNS boolean
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT p_text IS NULL OR btrim(p_text, E' \t\r\n\f\v') = '';
$body$;

COMMENT ON FUNCTION _recon.blank(text) IS
'TRUE when p_text is NULL or holds only whitespace (spaces, tabs, newlines, carriage returns, '
'form feeds, vertical tabs): a ticket, reason or note that says nothing (RC303 where one is '
'required).';

REVOKE EXECUTE ON FUNCTION _recon.blank(text) FROM PUBLIC;
