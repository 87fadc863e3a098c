# Shared by the setup scripts (sourced, not run): installing Debian packages, idempotently.
#   SAY_AS=prerequisites; . "$(dirname "$0")/lib/apt.sh"
#   install_packages sudo haproxy      # apt-get update + install, only for what is missing
# Needs root, or sudo -n.

say() { printf '%s: %s\n' "${SAY_AS:-setup}" "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else die "needs root for: $*"
  fi
}

# The packages among the arguments that are not installed, one a line (one dpkg-query for all).
missing_packages() {
  local present
  present=$(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null | awk '$NF == "installed" && $(NF-1) == "ok" { print $1 }') || true
  local p
  for p in "$@"; do grep -qxF -- "$p" <<<"$present" || printf '%s\n' "$p"; done
}

install_packages() {
  local missing=()
  mapfile -t missing < <(missing_packages "$@")
  if [ "${#missing[@]}" -eq 0 ]; then
    say "packages present: $*"
    return
  fi
  say "installing with apt: ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}
