#!/usr/bin/env bash
# Step 1 of the action: finds or installs the slipway binary and writes its path to the step
# output `bin`. Order: the `slipway-path` input, $SLIPWAY_BIN, the runner's tool cache, then a
# download of the release archive for RUNNER_OS/RUNNER_ARCH, verified against its .sha256 file.
set -euo pipefail

say() { echo "slipway-action: $*" >&2; }
fail() { echo "::error title=slipway install::$*"; exit 1; }

bin=${INPUT_SLIPWAY_PATH:-${SLIPWAY_BIN:-}}
if [ -n "$bin" ]; then
  [ -x "$bin" ] || fail "slipway binary $bin does not exist or is not executable; fix slipway-path (or SLIPWAY_BIN)"
  say "using $bin"
  echo "bin=$bin" >> "$GITHUB_OUTPUT"
  exit 0
fi

case "${RUNNER_OS:-}/${RUNNER_ARCH:-}" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  *) fail "no slipway release for RUNNER_OS=${RUNNER_OS:-?} RUNNER_ARCH=${RUNNER_ARCH:-?}: use a Linux X64 or ARM64 runner, or pass slipway-path" ;;
esac

version=${INPUT_VERSION:-}
if [ -z "$version" ]; then
  case "${ACTION_REF:-}" in
    v[0-9]*.[0-9]*.[0-9]*) version=$ACTION_REF ;;
    *) version=latest ;;
  esac
fi
base=${INPUT_DOWNLOAD_BASE_URL:-}
if [ -z "$base" ]; then
  [ -n "${ACTION_REPOSITORY:-}" ] || fail "cannot tell where to download slipway from: pass download-base-url or slipway-path"
  base=${GITHUB_SERVER_URL:-https://github.com}/$ACTION_REPOSITORY/releases
fi
base=${base%/}
case "$version" in
  latest) url_dir=$base/latest/download ;;
  v*) url_dir=$base/download/$version ;;
  *) version=v$version; url_dir=$base/download/$version ;;
esac

cache=${RUNNER_TOOL_CACHE:?RUNNER_TOOL_CACHE is not set}/slipway/$version/$target
if [ "$version" != latest ] && [ -x "$cache/slipway" ] && [ -e "$cache.complete" ]; then
  say "using the tool cache: $cache/slipway"
  echo "bin=$cache/slipway" >> "$GITHUB_OUTPUT"
  exit 0
fi

archive=slipway-$target.tar.gz
tmp=$(mktemp -d "${RUNNER_TEMP:-/tmp}/slipway-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
say "downloading $url_dir/$archive"
curl -fsSL --retry 3 -o "$tmp/$archive" "$url_dir/$archive" \
  || fail "cannot download $url_dir/$archive; check the version input and download-base-url"
curl -fsSL --retry 3 -o "$tmp/$archive.sha256" "$url_dir/$archive.sha256" \
  || fail "cannot download $url_dir/$archive.sha256; check the version input and download-base-url"
want=$(awk '{print $1; exit}' "$tmp/$archive.sha256")
got=$(sha256sum "$tmp/$archive" | awk '{print $1}')
[ -n "$want" ] && [ "$want" = "$got" ] \
  || fail "checksum mismatch for $archive: expected ${want:-nothing}, got $got; the download is corrupt or was tampered with"
rm -rf "$cache"
mkdir -p "$cache"
tar -xzf "$tmp/$archive" -C "$cache" slipway
chmod 0755 "$cache/slipway"
[ "$version" = latest ] || touch "$cache.complete"
say "installed $cache/slipway"
echo "bin=$cache/slipway" >> "$GITHUB_OUTPUT"
