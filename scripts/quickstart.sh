#!/usr/bin/env bash
# From a fresh machine to a playbook run on throwaway lab nodes:
#   bash scripts/quickstart.sh [NODES]
# Installs the system packages the tests and the lab use and starts the Docker engine
# (scripts/prerequisites.sh: Debian, as root), installs the npm dependencies,
# starts NODES lab nodes (default 3), then runs playbooks/lab-demo.ts on them: --check
# (changes predicted, nothing changed), apply, apply again (zero changes).
set -euo pipefail
cd "$(dirname "$0")/.."
nodes="${1:-3}"

step() { printf '\n==> %s\n' "$*" >&2; }

step 'system packages and the Docker engine (scripts/prerequisites.sh)'
bash scripts/prerequisites.sh
step 'npm dependencies'
npm ci --no-audit --no-fund
step "lab nodes ($nodes)"
./bin/capstan.js lab up --nodes "$nodes"
inv="$(./bin/capstan.js lab inventory)"

step 'check: what would change (nothing is changed)'
./bin/capstan.js run playbooks/lab-demo.ts -i "$inv" --check --diff
step 'apply'
./bin/capstan.js run playbooks/lab-demo.ts -i "$inv"
step 'apply again: nothing left to change'
./bin/capstan.js run playbooks/lab-demo.ts -i "$inv"

printf '\nThe lab stays up: run your own playbooks with -i %s, and remove it with ./bin/capstan.js lab down\n' "$inv"
