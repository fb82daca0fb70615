#!/usr/bin/env bash
# Public tools that evidence packets are checked with (VERIFY.txt) and that the evidence
# tests use: openssl, jq, unzip, sha256sum (coreutils), pdftoppm (poppler-utils) and
# tesseract with Simplified Chinese (reads the rasterised cover sheet back). `make test`
# runs this; exporting packets does not need it.
# Idempotent: apt runs only for what is missing; the package lists are refreshed when a
# package cannot be found in them (stale or never fetched), not on a marker file's say-so.
set -euo pipefail

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "ensure-evidence-tools: need root for: $*" >&2; return 1; fi
}

missing=()
command -v openssl >/dev/null || missing+=(openssl)
command -v jq >/dev/null || missing+=(jq)
command -v unzip >/dev/null || missing+=(unzip)
command -v sha256sum >/dev/null || missing+=(coreutils)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
command -v tesseract >/dev/null || missing+=(tesseract-ocr)
if ! { command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx chi_sim; }; then
  missing+=(tesseract-ocr-chi-sim)
fi

if [ ${#missing[@]} -eq 0 ]; then
  echo "evidence tools: present"
  exit 0
fi
command -v apt-get >/dev/null || {
  echo "ensure-evidence-tools: no apt-get; install ${missing[*]} by hand" >&2; exit 1; }
echo "evidence tools: installing ${missing[*]}"

install_missing() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# Known to apt without a fresh `apt-get update`? (`apt-cache policy` prints no candidate
# for a name missing from the local lists.)
all_known() {
  local pkg
  for pkg in "${missing[@]}"; do
    apt-cache policy "$pkg" 2>/dev/null | grep -q 'Candidate: [^(]' || return 1
  done
}

if all_known && install_missing; then
  exit 0
fi
echo "evidence tools: refreshing the package lists and retrying"
as_root apt-get update -qq
install_missing
