#!/usr/bin/env bash
# Installs the oracle for the differential tests: the real Chroma server (Rust, chroma 1.4.4) that the
# official npm package chromadb@3.5.0 ships as a native binding (chromadb-js-bindings-linux-x64-gnu).
#
# Usage: scripts/oracle/setup.sh [DIR]
#   DIR: the cache folder; default $CHROMALITE_ORACLE_DIR, else ~/.cache/chromalite-oracle.
#   Prints DIR on stdout when the oracle is ready. Idempotent, and safe to run concurrently (it
#   serialises on DIR/.setup.lock), so every test process can call it.
#
# The prebuilt binding needs glibc >= 2.39; Debian 12 has 2.36. Rather than touch the system, we
# fetch Debian 13 (trixie)'s libc6 .deb through the system's own apt mirror with a private apt
# configuration (own lists, cache and status under DIR; packages are still verified against the
# system's Debian archive keyring) and unpack it under DIR/glibc. Only the oracle's node process is
# started with that loader (see run-chroma.mjs and test/helpers/oracle.ts). Nothing is written to
# the repository or outside DIR.
set -euo pipefail

CHROMADB_VERSION="3.5.0"
BINDING="chromadb-js-bindings-linux-x64-gnu"
DIR="${1:-${CHROMALITE_ORACLE_DIR:-$HOME/.cache/chromalite-oracle}}"
LOADER_REL="glibc/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"

fail() { echo "oracle setup: $*" >&2; exit 2; }

[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || fail "only linux x86_64 is supported (got $(uname -s)-$(uname -m))"
command -v node >/dev/null || fail "node is not on PATH"
command -v npm >/dev/null || fail "npm is not on PATH"

mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
cd "$DIR"

# One installer at a time; the others wait here and then find everything in place.
exec 9>"$DIR/.setup.lock"
flock -w 600 9 || fail "timed out waiting for $DIR/.setup.lock"

# 1. The npm package, pinned. Checked by the installed version, so a stale cache is upgraded.
installed_version() {
  node -e 'try { process.stdout.write(require(process.argv[1]).version) } catch { }' "$DIR/node_modules/$1/package.json"
}
if [ "$(installed_version chromadb)" != "$CHROMADB_VERSION" ] || [ -z "$(installed_version "$BINDING")" ]; then
  [ -f package.json ] || printf '{ "name": "chromalite-oracle", "private": true }\n' > package.json
  npm install --no-audit --no-fund --loglevel=error "chromadb@$CHROMADB_VERSION" >&2 \
    || fail "npm install chromadb@$CHROMADB_VERSION failed"
  [ -f "node_modules/$BINDING/package.json" ] || fail "npm did not install $BINDING (optional dependency of chromadb)"
fi

# 2. A private glibc >= 2.39 (Debian trixie's libc6), unless the system's is new enough.
sys_glibc="$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')"
# (The test helper runs the server under DIR/glibc's loader when it exists, else with the system's.)
if [ -n "$sys_glibc" ] && [ "$(printf '%s\n2.39\n' "$sys_glibc" | sort -V | head -n1)" = "2.39" ]; then
  : # new enough
elif [ ! -x "$DIR/$LOADER_REL" ]; then
  if ! ls debs/libc6_*_amd64.deb >/dev/null 2>&1; then
    command -v apt-get >/dev/null || fail "apt-get is needed to fetch Debian's libc6"
    # The first Debian mirror the system's apt sources name (deb822 .sources files, then sources.list).
    mirror="$(sed -n 's|^URIs:[[:space:]]*\([^[:space:]]*/debian\)/\?[[:space:]]*$|\1|p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 || true)"
    if [ -z "$mirror" ]; then
      mirror="$(sed -n 's|^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*/debian\)/\?[[:space:]].*|\2|p' /etc/apt/sources.list 2>/dev/null | head -n1 || true)"
    fi
    [ -n "$mirror" ] || fail "found no Debian mirror in /etc/apt/sources.list{,.d/*.sources}"
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    [ -f "$keyring" ] || fail "missing $keyring (package debian-archive-keyring)"
    mkdir -p apt/etc apt/lists/partial apt/cache/archives/partial debs
    : > apt/status
    echo "deb [signed-by=$keyring] $mirror trixie main" > apt/etc/sources.list
    opts=(
      -o "Dir::Etc::SourceList=$DIR/apt/etc/sources.list"
      -o "Dir::Etc::SourceParts=/nonexistent"
      -o "Dir::State::Lists=$DIR/apt/lists"
      -o "Dir::State::status=$DIR/apt/status"
      -o "Dir::Cache=$DIR/apt/cache"
      -o "APT::Architecture=amd64"
      -o "APT::Architectures=amd64"
      -o "Acquire::Retries=2"
    )
    # As root, apt would drop to the _apt user, who cannot write into DIR; download as ourselves.
    [ "$(id -u)" = 0 ] && opts+=(-o "APT::Sandbox::User=root")
    apt-get "${opts[@]}" -qq update >&2 || fail "apt-get update from $mirror (trixie) failed"
    (cd debs && apt-get "${opts[@]}" -qq download libc6 >&2) || fail "apt-get download libc6 failed"
  fi
  # Unpack next to the target and move into place, so an interrupted run leaves no half tree.
  rm -rf glibc.partial
  mkdir glibc.partial
  dpkg-deb -x "$(ls debs/libc6_*_amd64.deb | head -n1)" glibc.partial
  [ -x "glibc.partial/${LOADER_REL#glibc/}" ] || fail "the libc6 package has no ${LOADER_REL#glibc/}"
  rm -rf glibc
  mv glibc.partial glibc
fi

echo "$DIR"
