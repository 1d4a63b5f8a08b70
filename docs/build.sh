#!/usr/bin/env bash
# Build the HTML site into docs/_build/html, offline, warnings as errors
# (-W --keep-going reports them all, then fails; -n also checks every
# cross-reference to the package's own objects; -E rereads every page, so a
# rebuild reports the warnings of unchanged pages too). Needs:
# pip install -e ".[docs]". sphinx-gallery reruns only the examples that
# changed; pass --clean to rerun them all and regenerate the API pages.
set -euo pipefail
cd "$(dirname "$0")"
if [[ "${1:-}" == "--clean" ]]; then
    rm -rf _build api/generated auto_examples sg_execution_times.rst
fi
exec sphinx-build -E -W --keep-going -n -b html . _build/html
