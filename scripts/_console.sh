# Sourced by the scripts: check Node.js, install the console's locked packages when the lock
# changed, and build the console when its sources changed.
set -euo pipefail
CONSOLE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/console"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

require_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "The staff console needs Node.js 20 and npm: install them (Debian: apt-get install nodejs npm, or from nodejs.org), then run this again." >&2
    exit 1
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    echo "The staff console needs Node.js 20 or newer; this machine has $(node --version). Install Node.js 20." >&2
    exit 1
  fi
}

console_packages() {
  require_node
  local stamp
  stamp="$CONSOLE_DIR/node_modules/.lock-$(sha256sum "$CONSOLE_DIR/package-lock.json" | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    (cd "$CONSOLE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$stamp"
  fi
}

# A digest of everything the build reads; the build is redone only when it changes.
console_sources_digest() {
  # Only the paths that exist: a clean checkout has no public/ folder, and find would fail on it.
  local paths=() path
  for path in src public index.html vite.config.ts tsconfig.json package-lock.json openapi.json; do
    [ -e "$CONSOLE_DIR/$path" ] && paths+=("$path")
  done
  (cd "$CONSOLE_DIR" && find "${paths[@]}" -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)
}

console_build_if_changed() {
  console_packages
  local digest
  digest=$(console_sources_digest)
  if [ ! -f "$CONSOLE_DIR/dist/.build-$digest" ]; then
    echo "== building the staff console"
    (cd "$CONSOLE_DIR" && npm run --silent build)
    touch "$CONSOLE_DIR/dist/.build-$digest"
  fi
}

require_chromium() {
  export CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}
  if [ ! -x "$CHROMIUM_PATH" ]; then
    echo "The browser tests need Chromium at $CHROMIUM_PATH: install Debian's package (apt-get install chromium), or set CHROMIUM_PATH." >&2
    exit 1
  fi
}
