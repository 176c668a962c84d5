#!/bin/sh
# Scratch variant of the guards: HEAD's SQL, plus (1) one plpgsql trigger function per guard
# and operation with the compiled SQL static (plans cached per session) instead of
# _recon.tg_guard_statement() EXECUTE-ing it (planned every statement), the fix check cheap
# when wallet_recon.fix_id is unset; (2) the commit-time check with enable_seqscan = off.
set -e
rm -rf "$1" && mkdir -p "$1"
git -C "$(cd "$(dirname "$0")/../.." && pwd)" archive HEAD migrations functions views triggers | tar -x -C "$1"
PATCH="$(cd "$(dirname "$0")" && pwd)/guards_static_patch.py.txt"
cd "$1" && python3 "$PATCH"
