#!/bin/sh
# Turns a Debian bookworm root filesystem into a Capstan test node. Runs once, inside the
# image build (see Dockerfile), with the recipe files in /tmp/capstan-node-image:
#   WITH_PYTHON=1 sh /tmp/capstan-node-image/configure.sh
set -eu
here=/tmp/capstan-node-image
export DEBIAN_FRONTEND=noninteractive

log() { printf 'capstan-node: %s\n' "$*"; }

install_packages() {
  wanted=$(grep -v '^#' "$here/packages.txt" | tr '\n' ' ')
  if [ "${WITH_PYTHON:-0}" = 1 ]; then wanted="$wanted python3"; fi
  missing=''
  for p in $wanted; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
      missing="$missing $p"
    fi
  done
  if [ -n "$missing" ]; then
    log "installing:$missing"
    apt-get update -q
    apt-get install -y -q --no-install-recommends $missing
  fi
  apt-get clean
  rm -rf /var/lib/apt/lists/*
}

add_user() {
  if ! id capstan >/dev/null 2>&1; then
    useradd --create-home --uid 1000 --user-group --shell /bin/bash capstan
  fi
  # '*': no password, yet not locked (sudo may get a password per node at start).
  usermod -p '*' capstan
}

configure_ssh() {
  install -m 644 "$here/sshd.conf" /etc/ssh/sshd_config.d/capstan.conf
  rm -f /etc/ssh/ssh_host_*
  install -m 644 "$here/capstan-ssh-hostkeys.service" /etc/systemd/system/capstan-ssh-hostkeys.service
  install -m 644 "$here/capstan-netns-sysctl.service" /etc/systemd/system/capstan-netns-sysctl.service
  systemctl enable capstan-ssh-hostkeys.service capstan-netns-sysctl.service ssh.service
}

configure_systemd() {
  mkdir -p /etc/systemd/journald.conf.d
  install -m 644 "$here/journald.conf" /etc/systemd/journald.conf.d/capstan.conf
  rm -f /etc/systemd/system/getty.target.wants/getty@tty1.service
  # Units that need hardware, a console or kernel access a container does not have, and
  # timers that would change the disk of an idle node.
  for unit in \
    getty.target console-getty.service getty-static.service getty@tty1.service \
    systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
    systemd-udev-trigger.service systemd-udev-settle.service systemd-hwdb-update.service \
    sys-kernel-config.mount sys-kernel-debug.mount sys-kernel-tracing.mount \
    proc-sys-fs-binfmt_misc.automount proc-sys-fs-binfmt_misc.mount systemd-binfmt.service \
    systemd-modules-load.service systemd-remount-fs.service systemd-firstboot.service \
    systemd-pstore.service systemd-journald-audit.socket e2scrub_reap.service \
    apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer \
    fstrim.timer systemd-tmpfiles-clean.timer; do
    ln -sf /dev/null "/etc/systemd/system/$unit"
  done
  # Each container gets its own machine id at boot.
  : > /etc/machine-id
  rm -f /var/lib/dbus/machine-id
  ln -s /etc/machine-id /var/lib/dbus/machine-id
}

clean_up() {
  printf 'LANG=C.UTF-8\n' > /etc/default/locale
  rm -rf /var/log/bootstrap.log /var/log/apt/* /var/log/dpkg.log /var/log/alternatives.log
  find /tmp /var/tmp -mindepth 1 -maxdepth 1 ! -name capstan-node-image -exec rm -rf {} +
  rm -f /var/cache/debconf/*-old /var/lib/dpkg/*-old
}

install_packages
add_user
configure_ssh
configure_systemd
clean_up
log 'configured'
