#!/usr/bin/env bash
# Starts (or stops) the Docker engine the docker platform's real test uses: Debian's docker.io dockerd
# with every byte of state under .toolchain/docker (git-ignored), its socket at .toolchain/docker/docker.sock.
# Idempotent: an engine already answering on the socket is reused. Prints the DOCKER_HOST to use.
# No default bridge (docker0 stays whoever else's it is, e.g. a system docker.service on the same
# machine): containers join the networks the stack declares, builds use the host's network.
#   bash scripts/docker-engine.sh start|stop|status   (status: exit 0 when the engine answers)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
D="${UNDERSTUDY_DOCKER_DIR:-$root/.toolchain/docker}"
sock="$D/docker.sock"
export DOCKER_HOST="unix://$sock"
say() { printf '\033[1mdocker-engine:\033[0m %s\n' "$*" >&2; }
answers() { curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; }

start() {
  local need=()
  # Debian's daemon and the CLI of the same release (another `docker` earlier on PATH is not used).
  { command -v dockerd >/dev/null 2>&1 && [ -x /usr/bin/docker ]; } || need+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
  if [ ${#need[@]} -gt 0 ]; then
    say "installing Debian packages: ${need[*]}"
    sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    # The package's own engine (started by its init script where no policy-rc.d forbids it) is not
    # ours: stopped, as setup.sh does for the stack's packages. An engine installed before is left alone.
    if [[ " ${need[*]} " == *" docker.io "* ]]; then $sudo_cmd service docker stop >/dev/null 2>&1 || true; fi
  fi
  answers && { echo "$DOCKER_HOST"; return; }
  mkdir -p "$D/data" "$D/exec"
  local s; s=$(date +%s%N)
  # No default bridge, its own address pool for the declared networks (not the defaults), its own
  # containerd namespaces: nothing shared with another engine on the machine.
  nohup dockerd --data-root "$D/data" --exec-root "$D/exec" -H "$DOCKER_HOST" --pidfile "$D/dockerd.pid" \
    --storage-driver overlay2 --bridge none --default-address-pool base=10.214.0.0/16,size=24 \
    --containerd-namespace understudy --containerd-plugins-namespace understudy-plugins \
    > "$D/dockerd.log" 2>&1 &
  for _ in $(seq 1 150); do answers && break; sleep 0.2; done
  answers || { tail -n 20 "$D/dockerd.log" >&2; say "dockerd did not answer on $sock; its log is $D/dockerd.log"; exit 1; }
  say "dockerd up in $(( ($(date +%s%N) - s) / 1000000 )) ms (pid $(cat "$D/dockerd.pid"))"
  echo "$DOCKER_HOST"
}

stop() {
  local pid=""
  [ -f "$D/dockerd.pid" ] && pid=$(cat "$D/dockerd.pid")
  # Only the engine of this directory (a stale pid file may name a reused pid).
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dockerd ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then say "dockerd (pid $pid) did not stop within 30 s: killed"; kill -9 "$pid" 2>/dev/null || true; fi
  fi
  # dockerd leaves its default network namespace mounted: unmounted, so the directory can be removed.
  awk -v p="$D/exec/" 'index($2, p) == 1 { print $2 }' /proc/mounts | while read -r m; do umount "$m" 2>/dev/null || true; done
  rm -f "$D/dockerd.pid"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) answers ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
