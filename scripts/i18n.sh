#!/usr/bin/env bash
# Translation workflow for the Vietnamese catalogue (English is the msgids themselves).
#   scripts/i18n.sh extract   # app/ -> app/translations/messages.pot
#   scripts/i18n.sh update    # merge the .pot into vi/LC_MESSAGES/messages.po (no fuzzy guesses)
#   scripts/i18n.sh compile   # .po -> .mo (build product, git-ignored)
#   scripts/i18n.sh all       # the three in order
# After `update`, translate every empty msgstr, then run `compile` and
# `.venv/bin/python -m pytest tests/test_translations.py`.
set -euo pipefail

cd "$(dirname "$0")/.."
PYBABEL=.venv/bin/pybabel
POT=app/translations/messages.pot
DIR=app/translations

extract() {
    # babel.cfg patterns are relative to the repository root, so walk "."; dot-directories
    # (.venv, .git) are skipped by default and only app/ matches the mapping.
    # Keep the keywords in step with KEYWORDS in tests/test_translations.py.
    "$PYBABEL" extract -F babel.cfg -o "$POT" --no-wrap \
        --project GiamNgheo --copyright-holder GiamNgheo \
        -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k lazy_pgettext:1c,2 \
        .
}

update() {
    "$PYBABEL" update -i "$POT" -d "$DIR" -l vi --no-wrap --no-fuzzy-matching --ignore-obsolete --init-missing
}

compile() {
    "$PYBABEL" compile -d "$DIR" --statistics
}

case "${1:-}" in
    extract) extract ;;
    update) update ;;
    compile) compile ;;
    all) extract && update && compile ;;
    *) echo "usage: $0 {extract|update|compile|all}" >&2; exit 2 ;;
esac
