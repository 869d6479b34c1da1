#!/usr/bin/env bash
# Refresh the vendored front-end packages in static/vendor/ from the npm registry.
#
# Usage:  scripts/vendor_frontend.sh
#
# To upgrade, change the pinned versions below, run this script, then update
# the version table in static/vendor/README.md and review the diff.
# Requires: bash, node + npm (any recent npm), network access to the npm registry.
set -euo pipefail

BOOTSTRAP_VERSION="5.3.9"
HTMX_VERSION="2.0.11"
BOOTSTRAP_ICONS_VERSION="1.13.2"
# Popper is not shipped on its own: it is compiled into bootstrap.bundle.min.js.
# It is installed only so its licence can be copied next to Bootstrap's.
POPPER_VERSION="2.11.8"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR_DIR="$REPO_ROOT/static/vendor"

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/vendor-npm.XXXXXX")"
trap 'rm -rf "$WORK_DIR"' EXIT

echo "Installing packages into $WORK_DIR ..."
(
  cd "$WORK_DIR"
  npm init -y >/dev/null
  npm install --save-exact --no-audit --no-fund --ignore-scripts \
    "bootstrap@$BOOTSTRAP_VERSION" \
    "htmx.org@$HTMX_VERSION" \
    "bootstrap-icons@$BOOTSTRAP_ICONS_VERSION" \
    "@popperjs/core@$POPPER_VERSION"
)
NM="$WORK_DIR/node_modules"

# Make sure npm gave us exactly the pinned versions.
check_version() { # <package> <expected>
  local got
  got="$(node -p "require(process.argv[1]).version" "$NM/$1/package.json")"
  if [[ "$got" != "$2" ]]; then
    echo "ERROR: $1 is $got, expected $2" >&2
    exit 1
  fi
}
check_version bootstrap "$BOOTSTRAP_VERSION"
check_version htmx.org "$HTMX_VERSION"
check_version bootstrap-icons "$BOOTSTRAP_ICONS_VERSION"
check_version @popperjs/core "$POPPER_VERSION"

# Start from a clean slate for the directories this script owns.
rm -rf "$VENDOR_DIR/bootstrap" "$VENDOR_DIR/htmx" "$VENDOR_DIR/bootstrap-icons"
mkdir -p "$VENDOR_DIR/bootstrap/css" "$VENDOR_DIR/bootstrap/js" \
         "$VENDOR_DIR/htmx" \
         "$VENDOR_DIR/bootstrap-icons/font/fonts"

# Bootstrap (bundle includes Popper)
cp "$NM/bootstrap/dist/css/bootstrap.min.css"        "$VENDOR_DIR/bootstrap/css/"
cp "$NM/bootstrap/dist/js/bootstrap.bundle.min.js"   "$VENDOR_DIR/bootstrap/js/"
cp "$NM/bootstrap/LICENSE"                           "$VENDOR_DIR/bootstrap/LICENSE"
cp "$NM/@popperjs/core/LICENSE.md"                   "$VENDOR_DIR/bootstrap/LICENSE-popper.md"

# htmx
cp "$NM/htmx.org/dist/htmx.min.js"                   "$VENDOR_DIR/htmx/"
cp "$NM/htmx.org/LICENSE"                            "$VENDOR_DIR/htmx/LICENSE"

# Bootstrap Icons (the CSS references fonts/bootstrap-icons.woff2 / .woff)
cp "$NM/bootstrap-icons/font/bootstrap-icons.min.css"     "$VENDOR_DIR/bootstrap-icons/font/"
cp "$NM/bootstrap-icons/font/fonts/bootstrap-icons.woff"  "$VENDOR_DIR/bootstrap-icons/font/fonts/"
cp "$NM/bootstrap-icons/font/fonts/bootstrap-icons.woff2" "$VENDOR_DIR/bootstrap-icons/font/fonts/"
cp "$NM/bootstrap-icons/LICENSE"                          "$VENDOR_DIR/bootstrap-icons/LICENSE"

# Strip source-map comments (the .map files are not vendored, so browsers
# would otherwise request them and get 404s). Only lines that consist solely
# of such a comment are removed, so minified code is never touched.
MINIFIED=(
  "$VENDOR_DIR/bootstrap/css/bootstrap.min.css"
  "$VENDOR_DIR/bootstrap/js/bootstrap.bundle.min.js"
  "$VENDOR_DIR/htmx/htmx.min.js"
  "$VENDOR_DIR/bootstrap-icons/font/bootstrap-icons.min.css"
)
for f in "${MINIFIED[@]}"; do
  sed -E -i \
    -e '/^[[:space:]]*\/\/[#@][[:space:]]*sourceMappingURL=[^[:space:]]*[[:space:]]*$/d' \
    -e '/^[[:space:]]*\/\*[#@][[:space:]]*sourceMappingURL=[^[:space:]]*[[:space:]]*\*\/[[:space:]]*$/d' \
    "$f"
  if grep -q 'sourceMappingURL' "$f"; then
    echo "ERROR: a sourceMappingURL reference remains in $f; strip it by hand." >&2
    exit 1
  fi
done

echo
echo "Vendored into $VENDOR_DIR:"
echo "  bootstrap        $BOOTSTRAP_VERSION (with @popperjs/core $POPPER_VERSION in the bundle)"
echo "  htmx.org         $HTMX_VERSION"
echo "  bootstrap-icons  $BOOTSTRAP_ICONS_VERSION"
echo "Total size: $(du -sh "$VENDOR_DIR" | cut -f1)"
