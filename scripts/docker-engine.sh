#!/usr/bin/env bash
# Starts (or stops) the Docker engine the docker platform's real test uses: Debian's docker.io dockerd
# with every byte of state under .toolchain/docker (git-ignored), its socket at .toolchain/docker/docker.sock.
# Idempotent: an engine already answering on the socket is reused. Prints the DOCKER_HOST to use.
#   bash scripts/docker-engine.sh start|stop
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
D="${UNDERSTUDY_DOCKER_DIR:-$root/.toolchain/docker}"
sock="$D/docker.sock"
export DOCKER_HOST="unix://$sock"
say() { printf '\033[1mdocker-engine:\033[0m %s\n' "$*" >&2; }
answers() { curl -sf --unix-socket "$sock" http://localhost/_ping >/dev/null 2>&1; }

start() {
  local need=()
  command -v dockerd >/dev/null 2>&1 || need+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
  if [ ${#need[@]} -gt 0 ]; then
    say "installing Debian packages: ${need[*]}"
    sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  answers && { echo "$DOCKER_HOST"; return; }
  mkdir -p "$D/data" "$D/exec"
  local s; s=$(date +%s%N)
  # Own bridge and address pool (not the defaults), its own containerd namespaces: nothing shared with
  # another engine on the machine.
  nohup dockerd --data-root "$D/data" --exec-root "$D/exec" -H "$DOCKER_HOST" --pidfile "$D/dockerd.pid" \
    --storage-driver overlay2 --bip 10.213.0.1/24 --default-address-pool base=10.214.0.0/16,size=24 \
    --containerd-namespace understudy --containerd-plugins-namespace understudy-plugins \
    > "$D/dockerd.log" 2>&1 &
  for _ in $(seq 1 150); do answers && break; sleep 0.2; done
  answers || { tail -n 20 "$D/dockerd.log" >&2; say "dockerd did not answer on $sock; its log is $D/dockerd.log"; exit 1; }
  say "dockerd up in $(( ($(date +%s%N) - s) / 1000000 )) ms (pid $(cat "$D/dockerd.pid"))"
  echo "$DOCKER_HOST"
}

stop() {
  [ -f "$D/dockerd.pid" ] || return 0
  local pid; pid=$(cat "$D/dockerd.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  rm -f "$D/dockerd.pid"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
