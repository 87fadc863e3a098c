#!/bin/sh
# K3s installer TEST DOUBLE, for Capstan's own tests only: air-gap installs of the K3s test
# double. Like the real installer it honours INSTALL_K3S_* (SKIP_DOWNLOAD, SKIP_START,
# SKIP_ENABLE, EXEC, VERSION, BIN_DIR, SYSTEMD_DIR, NAME), writes the systemd unit and its
# 0600 env file (every K3S_*/CONTAINERD_* variable), links kubectl/crictl/ctr, and skips the
# start when nothing changed.
set -e

info() { echo "[INFO]  $*"; }
fatal() { echo "[ERROR] $*" >&2; exit 1; }

BIN_DIR=${INSTALL_K3S_BIN_DIR:-/usr/local/bin}
SYSTEMD_DIR=${INSTALL_K3S_SYSTEMD_DIR:-/etc/systemd/system}

set -- ${INSTALL_K3S_EXEC:-}
case "${1:-}" in
  server|agent) CMD_K3S=$1 ;;
  *) if [ -n "${K3S_URL:-}" ]; then CMD_K3S=agent; else CMD_K3S=server; fi; set -- "$CMD_K3S" "$@" ;;
esac
CMD_K3S_EXEC="$*"
if [ -n "${K3S_URL:-}" ]; then
  case "$K3S_URL" in https://*) ;; *) fatal "Only https:// URLs are supported for K3S_URL (have $K3S_URL)" ;; esac
fi
if [ "$CMD_K3S" = server ]; then SYSTEM_NAME=${INSTALL_K3S_NAME:+k3s-$INSTALL_K3S_NAME}; SYSTEM_NAME=${SYSTEM_NAME:-k3s}
else SYSTEM_NAME=k3s-${INSTALL_K3S_NAME:-agent}; fi
UNIT=$SYSTEMD_DIR/$SYSTEM_NAME.service
ENV_FILE=$UNIT.env

command -v systemctl >/dev/null 2>&1 || fatal "Can not find systemd or openrc to use as a process supervisor for k3s"
[ "${INSTALL_K3S_SKIP_DOWNLOAD:-}" = true ] || fatal "test double: downloading K3s is not possible; set INSTALL_K3S_SKIP_DOWNLOAD=true and provide $BIN_DIR/k3s"
[ -x "$BIN_DIR/k3s" ] || fatal "Executable k3s binary not found at $BIN_DIR/k3s"
info "Skipping k3s download and verify (test double, version ${INSTALL_K3S_VERSION:-unspecified})"

hashes() { sha256sum "$BIN_DIR/k3s" "$UNIT" "$ENV_FILE" 2>/dev/null || true; }
PRE=$(hashes)

for cmd in kubectl crictl ctr; do
  if [ ! -e "$BIN_DIR/$cmd" ]; then info "Creating $BIN_DIR/$cmd symlink to k3s"; ln -sf k3s "$BIN_DIR/$cmd"; fi
done

cat > "$BIN_DIR/k3s-killall.sh" <<'KILLALL'
#!/bin/sh
# K3s killall TEST DOUBLE
for u in k3s k3s-agent; do systemctl stop "$u" 2>/dev/null || true; done
KILLALL
chmod 0755 "$BIN_DIR/k3s-killall.sh"
cat > "$BIN_DIR/$SYSTEM_NAME-uninstall.sh" <<UNINSTALL
#!/bin/sh
# K3s uninstall TEST DOUBLE
systemctl disable --now $SYSTEM_NAME 2>/dev/null || true
rm -f $UNIT $ENV_FILE
systemctl daemon-reload
rm -rf /etc/rancher/k3s /var/lib/rancher/k3s
rm -f $BIN_DIR/k3s $BIN_DIR/kubectl $BIN_DIR/crictl $BIN_DIR/ctr $BIN_DIR/k3s-killall.sh $BIN_DIR/$SYSTEM_NAME-uninstall.sh
UNINSTALL
chmod 0755 "$BIN_DIR/$SYSTEM_NAME-uninstall.sh"

info "env: Creating environment file $ENV_FILE"
umask 077
env | grep -E '^(K3S|CONTAINERD)_' | sed -e 's/=/="/' -e 's/$/"/' > "$ENV_FILE.tmp" || true
chmod 0600 "$ENV_FILE.tmp" && mv -f "$ENV_FILE.tmp" "$ENV_FILE"
umask 022

info "systemd: Creating service file $UNIT"
cat > "$UNIT.tmp" <<UNITEOF
[Unit]
Description=Lightweight Kubernetes (test double)
Documentation=https://k3s.io
Wants=network-online.target
After=network-online.target

[Install]
WantedBy=multi-user.target

[Service]
Type=notify
EnvironmentFile=-/etc/default/%N
EnvironmentFile=-/etc/sysconfig/%N
EnvironmentFile=-$ENV_FILE
KillMode=process
Delegate=yes
User=root
LimitNOFILE=1048576
TasksMax=infinity
TimeoutStartSec=0
Restart=always
RestartSec=5s
ExecStart=$BIN_DIR/k3s $CMD_K3S_EXEC
UNITEOF
chmod 0644 "$UNIT.tmp" && mv -f "$UNIT.tmp" "$UNIT"

systemctl daemon-reload
if [ "${INSTALL_K3S_SKIP_ENABLE:-}" = true ]; then exit 0; fi
info "systemd: Enabling $SYSTEM_NAME unit"
systemctl enable "$SYSTEM_NAME" >/dev/null 2>&1
if [ "${INSTALL_K3S_SKIP_START:-}" = true ]; then exit 0; fi
if [ "$PRE" = "$(hashes)" ]; then info "No change detected so skipping service start"; exit 0; fi
info "systemd: Starting $SYSTEM_NAME"
systemctl restart "$SYSTEM_NAME"
