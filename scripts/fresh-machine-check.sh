#!/usr/bin/env bash
# Does the README's route work on a machine that has nothing but Debian 12 and Node.js? A
# development machine that already has the packages hides a missing one; this checks it on a
# fresh one (Debian, as root, the Docker engine running; slow: 10-20 minutes, not run in CI):
#   bash scripts/fresh-machine-check.sh                 # the suites that need no Docker (npm run test:unit)
#   bash scripts/fresh-machine-check.sh --keep          # keep the image and the log for a look afterwards
#   bash scripts/fresh-machine-check.sh -- npm run typecheck   # another command in place of the tests
# What it does:
#   1. debootstrap a minimal Debian 12 (bookworm, variant minbase, nothing included) from this
#      machine's apt mirror, as the throwaway-node image is made (src/testing/debootstrap.ts);
#   2. copy in this machine's Node.js and npm (nothing else: scripts/prerequisites.sh wants
#      Node on PATH and installs none), the CA file npm here trusts when it has one (a machine
#      that reaches npm through a TLS proxy needs it, as this one does) and a clean clone of
#      the committed HEAD (uncommitted changes are not in it);
#   3. in a container of that root filesystem, as root, with CI=true (a missing tool fails its
#      test instead of skipping): `bash scripts/prerequisites.sh --no-engine`, `npm ci`, then
#      the tests; the container reaches only apt's mirror and npm, as this machine does;
#   4. print the test runner's counts and every skipped test with its reason. Exit status:
#      the command's.
# The Docker engine cannot run inside that container, so the throwaway-node suites
# (npm run test:nodes) are not part of this check.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"

SAY_AS=fresh-machine-check
# shellcheck source=lib/apt.sh
. "$here/lib/apt.sh"

keep=no
command=(npm run test:unit)
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=yes; shift ;;
    --) shift; [ $# -gt 0 ] || die 'nothing after --'; command=("$@"); break ;;
    *) die "unknown argument: $1 (see the usage atop $0)" ;;
  esac
done

[ "$(id -u)" -eq 0 ] || die 'needs root (debootstrap)'
command -v debootstrap >/dev/null 2>&1 || [ -x /usr/sbin/debootstrap ] || die 'needs debootstrap: bash scripts/prerequisites.sh'
docker info >/dev/null 2>&1 || die 'needs the Docker engine answering: bash scripts/prerequisites.sh'
[ -d "$repo/node_modules/tsx" ] || die "needs this checkout's npm dependencies (to read the apt mirror): npm ci"
node_bin="$(readlink -f "$(command -v node)")" || die 'node is not on PATH'
npm_dir="$(npm root -g)/npm"
cafile="$(npm config get cafile 2>/dev/null || true)"
[ "$cafile" != null ] && [ "$cafile" != undefined ] && [ -r "$cafile" ] || cafile="${NODE_EXTRA_CA_CERTS:-}"
[ -f "$npm_dir/bin/npm-cli.js" ] || die "npm is not where npm says it is ($npm_dir)"

tag="capstan-fresh-check:$$"
work="$(mktemp -d /var/tmp/capstan-fresh-XXXXXX)"
log="$work/check.log"
cleanup() {
  rm -rf "$work/rootfs"
  if [ "$keep" = no ]; then
    docker image rm -f "$tag" >/dev/null 2>&1 || true
    rm -rf "$work"
  else
    say "kept: the image $tag and the log $log"
  fi
}
trap cleanup EXIT

mirror="$(cd "$repo" && node --import tsx --input-type=module -e \
  "const { aptMirror } = await import('./src/testing/debootstrap.ts'); console.log(await aptMirror());")"
say "debootstrap bookworm (minbase, nothing added) from $mirror"
debootstrap --variant=minbase bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 20 "$work/debootstrap.log" >&2; die 'debootstrap failed'; }

say "copying in node $(node --version) ($node_bin), npm $(npm --version) and a clone of $(git -C "$repo" rev-parse --short HEAD)"
install -D -m 0755 "$node_bin" "$work/rootfs/usr/local/bin/node"
mkdir -p "$work/rootfs/usr/local/lib/node_modules"
cp -a "$npm_dir" "$work/rootfs/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/rootfs/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/rootfs/usr/local/bin/npx"
ca_env=()
if [ -n "$cafile" ] && [ -r "$cafile" ]; then
  say "npm here trusts $cafile: the container's npm and node get it as /usr/local/share/machine-ca.crt"
  install -D -m 0644 "$cafile" "$work/rootfs/usr/local/share/machine-ca.crt"
  ca_env=(--env NODE_EXTRA_CA_CERTS=/usr/local/share/machine-ca.crt --env npm_config_cafile=/usr/local/share/machine-ca.crt)
fi
git clone --quiet --no-checkout "$repo" "$work/rootfs/root/capstan"
git -C "$work/rootfs/root/capstan" checkout --quiet --detach "$(git -C "$repo" rev-parse HEAD)"

say "importing the root filesystem as $tag"
tar --numeric-owner -C "$work/rootfs" -c . | docker import - "$tag" >/dev/null
rm -rf "$work/rootfs"

say "in a container of $tag, as root: prerequisites.sh --no-engine, npm ci, ${command[*]} (log: $log)"
started=$SECONDS
rc=0
docker run --rm --name "capstan-fresh-check-$$" --env CI=true "${ca_env[@]}" --workdir /root/capstan "$tag" \
  bash -c 'set -e; bash scripts/prerequisites.sh --no-engine; npm ci --no-audit --no-fund; exec "$@"' fresh "${command[@]}" \
  >"$log" 2>&1 || rc=$?

say "finished in $((SECONDS - started)) s, exit $rc"
if grep -qE '^# (tests|pass|fail) ' "$log"; then
  say "the test runner's counts: $(grep -E '^# (tests|pass|fail|cancelled|skipped|todo|duration_ms) ' "$log" | sed 's/^# //' | paste -sd ',' | sed 's/,/, /g')"
  grep -E '^ *not ok [0-9]+ - ' "$log" >&2 || true
else
  tail -n 20 "$log" >&2
fi
skipped="$(grep -E '^ *ok [0-9]+ - .* # SKIP' "$log" || true)"
if [ -n "$skipped" ]; then
  say "skipped tests ($(wc -l <<<"$skipped")):"
  printf '%s\n' "$skipped" >&2
fi
exit "$rc"
