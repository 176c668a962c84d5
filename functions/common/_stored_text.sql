-- _recon.stored_text(): a value as a column stores it, read back as text (JSON).
CREATE OR REPLACE FUNCTION _recon.stored_text(p_relid oid, p_column text, p_value text)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_text text;
BEGIN
    -- a literal of the column's type, as _recon.writer_insert_sql writes it; the legs compare
    -- the column cast to text with a rule's value
    EXECUTE format('SELECT (%L::%s)::text', p_value, _recon.column_type_sql(p_relid, p_column))
    INTO v_text;
    RETURN to_jsonb(v_text);
END;
$body$;

COMMENT ON FUNCTION _recon.stored_text(oid, text, text) IS
'The text a value reads back as once a column of p_relid stores it (cast to the column''s type, '
'then to text; a JSON string, or JSON null): what an effect rule of the legs relation compares '
'with. _recon.writer_rule_entry.';

REVOKE EXECUTE ON FUNCTION _recon.stored_text(oid, text, text) FROM PUBLIC;
