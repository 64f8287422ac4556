#!/usr/bin/env bash
# Debian's Chromium for the browser tests (the console's and /docs'), which Playwright drives
# headless at /usr/bin/chromium. Installs it when missing (as root, with apt-get); without it those
# tests are skipped, saying so in their names.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "chromium: not installed, and apt-get as root is not available here: the browser tests will be skipped" >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
echo "chromium: installed $(/usr/bin/chromium --version 2>/dev/null || true)"
