#!/usr/bin/env bash
# Re-fetch the pinned livekit-client from the npm registry and copy its prebuilt ES module (and licence) into the
# folder the API serves. The pages import that one file; nothing is loaded from a CDN and no node_modules is kept.
# Usage: web/update-livekit-client.sh [VERSION]   (bump LIVEKIT_CLIENT_VERSION below to change the pin)
set -euo pipefail

LIVEKIT_CLIENT_VERSION="${1:-2.23.0}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
target="$repo/api/web/static/vendor/livekit-client"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

cd "$scratch"
npm pack --silent "livekit-client@$LIVEKIT_CLIENT_VERSION" >/dev/null
tar -xzf "livekit-client-$LIVEKIT_CLIENT_VERSION.tgz"
mkdir -p "$target"
cp package/dist/livekit-client.esm.mjs "$target/livekit-client.esm.mjs"
cp package/LICENSE "$target/LICENSE"
printf '%s\n' "$LIVEKIT_CLIENT_VERSION" >"$target/VERSION"
echo "livekit-client $LIVEKIT_CLIENT_VERSION -> ${target#"$repo/"}"
