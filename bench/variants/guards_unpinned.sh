#!/bin/sh
# Scratch variant of the drift guard: HEAD's SQL, but its generated row trigger functions and
# its commit-time trigger _recon.tg_guard_drift_check() without "SET search_path" (still
# SECURITY DEFINER, every name and operator in them schema-qualified). Pinning the search_path
# costs each of the eight trigger calls of a transfer a GUC save and restore (~14,000
# instructions); docs/PERFORMANCE.md, "Guards on the write path (pgbench)", has both figures.
#     bench/variants/guards_unpinned.sh DIR && .venv/bin/python bench/guards.py --sql-dir DIR
set -e
rm -rf "$1" && mkdir -p "$1"
git -C "$(cd "$(dirname "$0")/../.." && pwd)" archive HEAD migrations functions views triggers | tar -x -C "$1"
cd "$1"
for f in functions/_guard_drift_function.sql functions/_tg_guard_drift_check.sql; do
    # the line after "SECURITY DEFINER": the generated function's header, the trigger's own
    awk 'prev == "SECURITY DEFINER" && $0 == "SET search_path = pg_catalog, pg_temp" { prev = $0; next }
         { print; prev = $0 }' "$f" > "$f.new"
    if cmp -s "$f" "$f.new"; then
        echo "guards_unpinned.sh: nothing to unpin in $f" >&2
        exit 1
    fi
    mv "$f.new" "$f"
done
