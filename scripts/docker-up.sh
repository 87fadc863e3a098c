#!/usr/bin/env bash
# Makes Docker ready for Capstan's throwaway-node tests on a Debian machine, as root:
#   scripts/docker-up.sh                          # docker.io + debootstrap, dockerd, inotify limits
#   scripts/docker-up.sh haproxy openssh-client   # the same, plus these packages in the same apt run
# Installs what is missing (apt-get update first), starts dockerd in the background when
# `docker info` fails and waits for it (bounded), raises the inotify limits systemd nodes need.
# Idempotent: a second run finds everything in place and changes nothing.
# DOCKERD_ARGS adds flags to a dockerd started here; DOCKER_WAIT_SECONDS bounds the wait (60).
set -euo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/capstan-dockerd.log}
DOCKER_WAIT_SECONDS=${DOCKER_WAIT_SECONDS:-60}
DOCKERD_ARGS=${DOCKERD_ARGS:-}

SAY_AS=docker-up
# shellcheck source=lib/apt.sh
. "$(dirname "$0")/lib/apt.sh"

start_dockerd() {
  if docker info >/dev/null 2>&1; then
    say 'the Docker engine answers already'
    return
  fi
  if [ -d /run/systemd/system ]; then
    say 'starting docker.service'
    as_root systemctl start docker.service
  else
    say "starting dockerd in the background (log: $DOCKERD_LOG)"
    as_root setsid dockerd $DOCKERD_ARGS >>"$DOCKERD_LOG" 2>&1 < /dev/null &
  fi
  local waited=0
  until docker info >/dev/null 2>&1; do
    if [ "$waited" -ge "$DOCKER_WAIT_SECONDS" ]; then
      [ -r "$DOCKERD_LOG" ] && tail -n 20 "$DOCKERD_LOG" >&2
      die "the Docker engine did not answer within ${DOCKER_WAIT_SECONDS}s"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  say "the Docker engine answers (after ${waited}s)"
}

raise_limit() {
  local name=$1 wanted=$2 current
  current=$(sysctl -n "$name" 2>/dev/null || echo 0)
  if [ "$current" -ge "$wanted" ]; then
    say "$name is $current (enough)"
  elif as_root sysctl -q -w "$name=$wanted"; then
    say "$name raised from $current to $wanted"
  else
    say "WARNING: could not raise $name from $current; many nodes at once may fail to boot"
  fi
}

raise_inotify() {
  # Every systemd node takes inotify instances; at the default (128) nodes stop booting at about 30.
  raise_limit fs.inotify.max_user_instances 8192
  raise_limit fs.inotify.max_user_watches 1048576
}

install_packages docker.io debootstrap "$@"
start_dockerd
raise_inotify
say "ready: $(docker version --format 'engine {{.Server.Version}}' 2>/dev/null || echo 'engine version unknown')"
