#!/usr/bin/env bash
# Re-extract messages and merge them into the vi and en catalogs (then translate new entries).
set -euo pipefail
cd "$(dirname "$0")/.."
pybabel extract -F locales/babel.cfg -k N_ -k ngettext:1,2 --no-location --sort-output \
    -o locales/messages.pot bot handlers
pybabel update -i locales/messages.pot -d locales -D messages --ignore-obsolete -w 99
