-- _recon.guard_drift_branch_sql(): the records of one branch of a drift guard's generated
-- trigger function.
CREATE OR REPLACE FUNCTION _recon.guard_drift_branch_sql(
    p_records text[], p_setting text, p_write boolean
)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    -- one record after the other; with p_write (several records in the branch, none of which
    -- wrote the setting) the accumulator is written once at the end
    SELECT array_to_string(p_records, E'\n')
           || CASE WHEN p_write THEN format(
                  E'\nv_acc := pg_catalog.set_config(%L, v_acc, TRUE);', p_setting)
                   ELSE '' END;
$body$;

COMMENT ON FUNCTION _recon.guard_drift_branch_sql(text[], text, boolean) IS
'A branch of a drift guard''s generated trigger function: records p_records one per line; '
'with p_write it ends by writing the accumulator to setting p_setting (warn mode). Not '
'indented: _recon.template_fill() indents it to its slot.';

REVOKE EXECUTE ON FUNCTION _recon.guard_drift_branch_sql(text[], text, boolean) FROM PUBLIC;
