-- _recon.guard_over_views(): a compiled guard moved from simple views to their base tables.
CREATE OR REPLACE FUNCTION _recon.guard_over_views(
    p_compiled jsonb, p_sides jsonb, p_kind text, p_target text
)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_side record;
    v_rows_new text;
    v_rows_old text;
    v_one text;
    v_base oid;
    v_out jsonb := p_compiled;
    v_sql jsonb;
BEGIN
    -- p_sides: {"ledger": oid, "wallet": oid, "source": oid}, the relation behind each side's
    -- compiled SQL (its keys start with the side) and generated functions (they end with it)
    FOR v_side IN SELECT s.key AS side, (s.value #>> '{}')::oid AS relid
                  FROM jsonb_each(p_sides) AS s
                  WHERE jsonb_typeof(s.value) <> 'null' LOOP
        CONTINUE WHEN (SELECT c.relkind FROM pg_class AS c WHERE c.oid = v_side.relid)
                      IN ('r', 'p');
        v_base := _recon.base_table(v_side.relid);
        -- 1. Only a simple view over one table can be guarded: its WHERE is applied to the
        --    base table's rows. Anything else is refused now, not at the first write.
        v_rows_new := _recon.view_rows_sql(v_side.relid, 'recon_new');
        IF v_base IS NULL OR v_rows_new IS NULL THEN
            PERFORM _recon.fail(
                'RC406', format('a %s guard on %s cannot guard %s', p_kind, p_target,
                                v_side.relid::regclass),
                format('%s is a %s, not a simple view over one table: a guard''s triggers go '
                       || 'on the tables whose rows it shows, and this one''s rows cannot be '
                       || 'traced to one table (a join, an aggregate, DISTINCT, a subquery, '
                       || 'a UNION...).', v_side.relid::regclass,
                       CASE (SELECT c.relkind FROM pg_class AS c WHERE c.oid = v_side.relid)
                            WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
                            ELSE 'foreign table' END),
                'Register the source on its base table, or on a view '
                || 'selecting from one table with a WHERE; docs/GUARDS.md "Views".');
        END IF;
        v_rows_old := _recon.view_rows_sql(v_side.relid, 'recon_old');
        v_one := _recon.view_rows_sql(v_side.relid, '(SELECT ($1).*)');
        -- 2. The statements over transition tables read them through the view's query.
        SELECT COALESCE(jsonb_object_agg(e.key, CASE
                   WHEN e.key NOT LIKE v_side.side || '\_%' THEN e.value
                   WHEN jsonb_typeof(e.value) = 'array' THEN (
                       SELECT jsonb_agg(to_jsonb(regexp_replace(regexp_replace(
                           x.value #>> '{}', '\mrecon_new\M', '(' || v_rows_new || ')', 'g'),
                           '\mrecon_old\M', '(' || v_rows_old || ')', 'g'))
                           ORDER BY x.ordinality)
                       FROM jsonb_array_elements(e.value) WITH ORDINALITY AS x)
                   ELSE to_jsonb(regexp_replace(regexp_replace(
                       e.value #>> '{}', '\mrecon_new\M', '(' || v_rows_new || ')', 'g'),
                       '\mrecon_old\M', '(' || v_rows_old || ')', 'g')) END), '{}')
        INTO v_sql FROM jsonb_each(v_out -> 'sql') AS e;
        v_out := jsonb_set(v_out, '{sql}', v_sql);
        -- 3. Generated row trigger functions read the view's row (NULL when it hides it).
        v_out := jsonb_set(v_out, '{functions}', (
            SELECT COALESCE(jsonb_agg(CASE WHEN f.value ->> 'function'
                                               LIKE '%\_' || v_side.side || '()'
                THEN jsonb_set(f.value, '{definition}', to_jsonb(
                    _recon.guard_row_over_view(f.value ->> 'definition', v_one)))
                ELSE f.value END ORDER BY f.ordinality), '[]')
            FROM jsonb_array_elements(v_out -> 'functions') WITH ORDINALITY AS f));
        -- 4. The triggers go on the base table.
        v_out := jsonb_set(v_out, '{triggers}', (
            SELECT COALESCE(jsonb_agg(CASE WHEN t.value ->> 'table' = v_side.relid::regclass::text
                THEN t.value || jsonb_build_object(
                    'table', v_base::regclass::text,
                    'view', v_side.relid::regclass::text,
                    'definition', replace(t.value ->> 'definition',
                                          ' ON ' || v_side.relid::regclass::text || ' ',
                                          ' ON ' || v_base::regclass::text || ' '))
                ELSE t.value END ORDER BY t.ordinality), '[]')
            FROM jsonb_array_elements(v_out -> 'triggers') WITH ORDINALITY AS t));
    END LOOP;
    RETURN v_out;
END;
$body$;

COMMENT ON FUNCTION _recon.guard_over_views(jsonb, jsonb, text, text) IS
'Moves a compiled guard (_recon.guard_compile) from the simple views among its sources to '
'their base tables, applying each view''s own query (its WHERE, its column names): statement '
'SQL reads the transition tables through it, generated row functions read each row through '
'it (_recon.guard_row_over_view), triggers go on the base table. Any other view, a '
'materialized view or a foreign table: RC406 naming it, nothing created.';

REVOKE EXECUTE ON FUNCTION _recon.guard_over_views(jsonb, jsonb, text, text) FROM PUBLIC;
