#!/usr/bin/env bash
# Build the HTML site into docs/_build/html, offline, warnings as errors
# (-W --keep-going reports them all, then fails; -n also checks every
# cross-reference to the package's own objects; -E rereads every page, so a
# rebuild reports the warnings of unchanged pages too). Needs:
# pip install -e ".[docs]".
#
# The site works offline: the math is typeset by the copy of MathJax that
# sphinx-mathjax-offline (in the docs extra) puts in _static/mathjax, not by a
# CDN. After sphinx-build, check_offline.py reads every page and fails the
# build, naming the page and the URL, if one loads a script, stylesheet or
# font from the network.
#
# Options (in any order):
#   --clean           start from scratch: rerun every example and regenerate
#                     the API pages. Without it, sphinx-gallery reruns only
#                     the examples that changed.
#   --no-gallery-run  build the gallery pages from the examples' source and
#                     text without running them (sphinx-gallery's
#                     plot_gallery=0): no printed output or figures on the
#                     pages. For CI, where the test suite already runs every
#                     example (tests/test_examples.py); a later build without
#                     this option runs them again, since a page built this
#                     way is not cached as up to date.
set -euo pipefail
cd "$(dirname "$0")"
clean=0
gallery=()
for arg in "$@"; do
    case "$arg" in
        --clean) clean=1 ;;
        --no-gallery-run) gallery=(-D plot_gallery=0) ;;
        *)
            echo "usage: docs/build.sh [--clean] [--no-gallery-run]" >&2
            exit 2
            ;;
    esac
done
if ((clean)); then
    rm -rf _build api/generated auto_examples sg_execution_times.rst
fi
sphinx-build -E -W --keep-going -n ${gallery[@]+"${gallery[@]}"} -b html . _build/html
(cd .. && python3 docs/check_offline.py docs/_build/html)
