-- _recon.custom_trusted(): refuse a custom check that would run another role's code as ours.
CREATE OR REPLACE FUNCTION _recon.custom_trusted(p_name text, p_view regclass)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_found text;
BEGIN
    -- A check's view runs inside recon.reconcile(), SECURITY DEFINER: with the toolkit owner's
    -- rights, for any auditor. A function, operator or view of the custom query that another
    -- role owns could be replaced by that role and run as the owner: only objects of the
    -- registering role, of a superuser, or of the catalog may be used. A table (no code runs on
    -- a SELECT) may belong to anyone, unless row-level security runs its owner's policies.
    SELECT string_agg(DISTINCT format('%s %s (owner %s)', x.what, x.name, x.owner), ', ')
    INTO v_found
    FROM pg_depend AS d
    JOIN pg_rewrite AS r ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
    CROSS JOIN LATERAL (
        SELECT 'function' AS what, p.oid::regprocedure::text AS name, p.proowner AS owner_id,
               p.pronamespace AS nsp
        FROM pg_proc AS p
        WHERE d.refclassid = 'pg_proc'::regclass AND p.oid = d.refobjid
        UNION ALL
        SELECT 'operator', o.oid::regoperator::text, o.oprowner, o.oprnamespace
        FROM pg_operator AS o
        WHERE d.refclassid = 'pg_operator'::regclass AND o.oid = d.refobjid
        UNION ALL
        SELECT CASE WHEN c.relkind = 'v' THEN 'view' ELSE 'table with row-level security' END,
               c.oid::regclass::text, c.relowner, c.relnamespace
        FROM pg_class AS c
        WHERE d.refclassid = 'pg_class'::regclass AND c.oid = d.refobjid AND c.oid <> p_view
          AND (c.relkind IN ('v', 'm') OR c.relrowsecurity)
    ) AS y
    CROSS JOIN LATERAL (SELECT y.what, y.name, y.owner_id::regrole::text AS owner) AS x
    WHERE r.ev_class = p_view
      AND y.nsp <> 'pg_catalog'::regnamespace
      AND y.owner_id <> (SELECT u.oid FROM pg_roles AS u WHERE u.rolname = current_user)
      AND NOT (SELECT u.rolsuper FROM pg_roles AS u WHERE u.oid = y.owner_id);
    IF v_found IS NOT NULL THEN
        PERFORM _recon.fail(
            'RC110', format('custom check %s uses code another role owns: %s', p_name, v_found),
            'Its view runs with the toolkit owner''s rights inside recon.reconcile(); that role '
            || 'could replace the code and run anything as the owner.',
            'Use your own functions and views (or have a superuser own them), or ask their owner '
            || 'to register the check.'
        );
    END IF;
END;
$body$;

COMMENT ON FUNCTION _recon.custom_trusted(text, regclass) IS
'Refuses (RC110) a custom check whose view uses a function, operator, view or row-level '
'security table owned by a role other than the registering role or a superuser: the view runs '
'with the toolkit owner''s rights inside recon.reconcile(). docs/SECURITY.md.';

REVOKE EXECUTE ON FUNCTION _recon.custom_trusted(text, regclass) FROM PUBLIC;
