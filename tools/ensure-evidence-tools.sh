#!/usr/bin/env bash
# Public tools that evidence packets are checked with (VERIFY.txt) and that the evidence
# tests use: openssl, jq, unzip, sha256sum (coreutils), pdftoppm (poppler-utils) and
# tesseract with Simplified Chinese (reads the rasterised cover sheet back).
# Idempotent: apt runs only for what is missing.
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
if [ ! -f /tmp/.certwatch-apt-updated ]; then
  as_root apt-get update -qq && touch /tmp/.certwatch-apt-updated
fi
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${missing[@]}" >/dev/null
