#!/bin/sh
# Regenerate the README pictures in docs/screenshots/ (1280 px wide, the main screens also 700 px, and
# the phone's at 390 px; every page once at 1280, 700 and 390 px: pagina-*.png) by running the browser journeys, which save them when MESA_SCREENSHOTS_DIR is set.
# Needs the venv and Debian's chromium, like the browser tests. Extra arguments go to pytest.
set -e
cd "$(dirname "$0")/.."
MESA_SCREENSHOTS_DIR=docs/screenshots exec .venv/bin/python -m pytest tests/browser/test_journeys.py tests/browser/test_phone_browser.py tests/browser/test_spanish_browser.py -q "$@"
