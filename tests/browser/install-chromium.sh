#!/usr/bin/env bash
# Debian's Chromium for the end-to-end dashboard test (tests/python/test_dashboard_browser.py).
# `make test` runs this first; it does nothing when Chromium is already there. The test drives
# Chromium over the DevTools protocol, so no chromium-driver / WebDriver is needed.
set -euo pipefail

CHROMIUM="${BANKMART_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-chromium: $CHROMIUM not found and this is not a Debian/Ubuntu machine." >&2
    echo "Install Chromium yourself and set BANKMART_CHROMIUM=/path/to/chromium." >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    SUDO="sudo"
fi
echo "install-chromium: installing Debian's chromium package for the browser tests"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium </dev/null
"$CHROMIUM" --version
