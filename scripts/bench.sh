#!/usr/bin/env bash
# Capstan and Ansible, side by side, in one command (Debian, as root):
#   bash scripts/bench.sh                                   # N=1,5,20,50, 3 runs, all phases and tools
#   bash scripts/bench.sh --nodes 1,5 --runs 3 --tools capstan,ansible-mitogen
#   bash scripts/bench.sh --tiny                            # CI: a couple of minutes, exit 0 = all good
# Installs what is missing with apt-get (scripts/prerequisites.sh: the Docker engine,
# ansible-core, ansible-mitogen, dpkg-dev, GNU time, the OpenSSH client, ...), starts dockerd,
# installs the npm dependencies when absent, then runs bench/run.ts with the arguments given
# (see bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'bench.sh: %s\n' "$*" >&2; }

say 'system packages and the Docker engine (scripts/prerequisites.sh)'
timeout 1800 bash scripts/prerequisites.sh

if [ ! -d node_modules ]; then
  say 'npm dependencies'
  timeout 900 npm ci --no-audit --no-fund
fi

say "running: bench/run.ts $*"
exec node --import tsx bench/run.ts "$@"
