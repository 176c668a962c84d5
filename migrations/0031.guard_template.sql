-- 0031 (issue 18) the drift guard's generator is one template with named slots
-- (_recon.template_fill): the branch helper that indented generated code is gone (the template
-- indents each slot).
DROP FUNCTION IF EXISTS _recon.guard_drift_indent_sql(text, text, boolean);
