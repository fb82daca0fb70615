#!/usr/bin/env bash
# Make sure Playwright can drive a Chromium and that CJK fonts are installed.
# Order: CERTWATCH_CHROMIUM, Playwright's own build, the system's chromium; when none is
# usable, try `playwright install chromium` (works where its CDN is reachable), then Debian's
# chromium package. Idempotent: does nothing when a browser and the fonts are already there.
set -euo pipefail

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "ensure-browser: need root for: $*" >&2; return 1; fi
}

apt_install() {
  command -v apt-get >/dev/null || { echo "ensure-browser: no apt-get; install $* by hand" >&2; return 1; }
  if [ ! -f /tmp/.certwatch-apt-updated ]; then
    as_root apt-get update -qq && touch /tmp/.certwatch-apt-updated
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

managed_ok() {
  python - <<'PY'
import sys
from crawlers.browser import playwright_managed_chromium
sys.exit(0 if playwright_managed_chromium() else 1)
PY
}

if [ -n "${CERTWATCH_CHROMIUM:-}" ]; then
  [ -x "$CERTWATCH_CHROMIUM" ] || { echo "CERTWATCH_CHROMIUM=$CERTWATCH_CHROMIUM is not executable" >&2; exit 1; }
  echo "browser: $CERTWATCH_CHROMIUM (CERTWATCH_CHROMIUM)"
elif managed_ok; then
  echo "browser: Playwright's own Chromium"
elif command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then
  echo "browser: system $(command -v chromium || command -v chromium-browser)"
elif timeout 180 playwright install chromium >/dev/null 2>&1 && managed_ok; then
  echo "browser: Playwright's own Chromium (just downloaded)"
else
  echo "browser: Playwright cannot download its Chromium here; installing Debian's chromium"
  apt_install chromium
fi

if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  echo "fonts: installing fonts-noto-cjk (Chinese text in screenshots)"
  apt_install fonts-noto-cjk fontconfig
fi
