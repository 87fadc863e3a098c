#!/usr/bin/env bash
# Every system package Capstan's tests, quickstart, CI and benchmark use, on Debian 12, as root:
#   bash scripts/prerequisites.sh              # install what is missing, then start the Docker engine
#   bash scripts/prerequisites.sh --no-engine  # the packages only (where dockerd cannot run, e.g. a container)
#   bash scripts/prerequisites.sh --list       # print the packages, one a line
# scripts/quickstart.sh, .ci/run and scripts/bench.sh all start here, so the README's
# `npm test` finds what it needs right after quickstart. Idempotent: a second run installs
# nothing (no apt-get update either) and finds the engine answering. Node.js 20.19 or newer
# must already be on PATH (Debian 12's own nodejs is 18): the script checks it, installs none.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

SAY_AS=prerequisites
# shellcheck source=lib/apt.sh
. "$here/lib/apt.sh"

# Each line: packages, then what needs them.
PACKAGES=(
  docker.io debootstrap            # throwaway nodes: the engine, and the node image built offline
  openssh-server openssh-client    # ssh connector tests against a real sshd; ssh-keygen, ssh-agent
  sudo                             # the local connector's become (sudo -n)
  procps                           # pgrep in the timeout tests, sysctl for the inotify limits
  haproxy keepalived psmisc        # haproxy -c and keepalived -t on what the haproxy role renders (its track script: killall)
  prometheus                       # promtool check/test rules (alert rules, the advisor's PromQL)
  prometheus-alertmanager          # a real Alertmanager for receiver tests
  curl wget python3                # get-url's downloaders, run for real
  tar gzip xz-utils bzip2 zstd zip unzip   # unarchive's formats, packed and unpacked for real
  ansible-core ansible             # the benchmark's peer; its reference playbook uses ansible.posix
  ansible-mitogen python3-mitogen dpkg-dev time   # the benchmark: mitogen strategy, local apt repo, GNU time
)

check_node() {
  local version
  version=$(node -p 'process.versions.node' 2>/dev/null) || die 'node is not on PATH: install Node.js 20.19 or newer first'
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
    || die "node $version is too old: Capstan needs Node.js 20.19 or newer"
  command -v npm >/dev/null 2>&1 || die "npm is not on PATH (node $version is)"
  say "node $version and npm $(npm --version) on PATH"
}

case "${1:-}" in
  --list) printf '%s\n' "${PACKAGES[@]}"; exit 0 ;;
  --no-engine) engine=no ;;
  '') engine=yes ;;
  *) die "unknown argument: $1 (see the usage atop $0)" ;;
esac

check_node
install_packages "${PACKAGES[@]}"
if [ "$engine" = yes ]; then
  bash "$here/docker-up.sh"
else
  say 'not starting the Docker engine (--no-engine): throwaway-node tests need it'
fi
