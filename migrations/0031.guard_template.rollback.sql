-- Undo 0031: nothing in the schema to put back (the earlier repeatable layer creates its own
-- functions again).
SELECT 1;
