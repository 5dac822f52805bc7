# deliverycheck's helper on an ssh host (bash). The harness sends it inline with every command,
#   bash -c "<this text>" dc SUBCOMMAND ARGS...
# so nothing is installed on the host and nothing is left there. Subcommands:
#   watchdog DIR TIMEOUT_S SUDO TAG  make the run's folder DIR, print "WATCHING <pid>", then read
#                                    heartbeat lines from stdin; at the end of input (the harness closed
#                                    the channel, or died and its connection closed) or after TIMEOUT_S
#                                    without a line (the harness hangs or the network is gone): SIGKILL
#                                    every process of the run, remove the run's firewall chains (TAG),
#                                    delete DIR, print "CLEAN".
#   run DIR NAME CMD...              run CMD in DIR as its own session and process group, its PID in
#                                    DIR/pids/NAME.pid and DC_TAG=DIR/NAME in its environment, so that
#                                    only processes of this run are ever signalled. Ends with CMD.
#   signal DIR NAME SIG              send SIG to NAME (KILL, STOP, CONT: its whole process group;
#                                    others: the process) if it still runs and is ours; "gone" if not.
#   check JAVA SUDO ADDRESS PORT...  facts for the harness's preflight, one per line.
#   fw-init SUDO TAG                 create chains DCI-TAG / DCO-TAG, jumped to first from INPUT / OUTPUT.
#   fw-set SUDO TAG RULE...          replace the chains' rules; a RULE is "I <iptables match> -j DROP"
#                                    (INPUT chain) or "O ..." (OUTPUT chain).
#   fw-remove SUDO TAG               remove the jumps and the chains (idempotent).
# SUDO is "sudo" (iptables through sudo -n) or "-". TAG is "-" when the run has no chains.
set -u
export PATH="$PATH:/usr/sbin:/sbin"
sub=${1:?subcommand}
shift

ipt() {
  if [ "$SUDO" = sudo ]; then sudo -n iptables -w "$@"; else iptables -w "$@"; fi
}

# The PID of NAME's process if it runs and carries this run's tag; else fails.
owned() {
  local f="$1/pids/$2.pid" pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f" 2>/dev/null) || return 1
  case $pid in '' | *[!0-9]*) return 1 ;; esac
  tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qxF "DC_TAG=$1/$2" || return 1
  echo "$pid"
}

fw_remove() {
  local c
  for c in "INPUT DCI-$TAG" "OUTPUT DCO-$TAG"; do
    set -- $c
    while ipt -D "$1" -j "$2" 2>/dev/null; do :; done
    ipt -F "$2" 2>/dev/null
    ipt -X "$2" 2>/dev/null
  done
  return 0
}

case "$sub" in
watchdog)
  dir=$1 timeout=$2 SUDO=$3 TAG=$4
  case "$dir" in /?*/dc-?*) ;; *) echo "refusing run folder '$dir'"; exit 2 ;; esac
  # A broken channel must not end the clean-up half-way: writes then fail instead of killing us.
  trap '' PIPE HUP
  umask 077 # the run's files (logs, uploads) are for the harness's user only
  # remote_dir itself, when made here, may be passed through (not listed) by others: a database run as
  # nobody (the login user being root) reaches its binaries in the run folder
  [ -d "${dir%/*}" ] || mkdir -p -m 711 "${dir%/*}" || exit 2
  mkdir -p "$dir/logs" "$dir/pids" "$dir/lib" || exit 2
  echo "WATCHING $$"
  while IFS= read -r -t "$timeout" _; do :; done
  for f in "$dir"/pids/*.pid; do
    [ -e "$f" ] || continue
    n=${f##*/}
    n=${n%.pid}
    if pid=$(owned "$dir" "$n"); then
      kill -s KILL -- "-$pid" 2>/dev/null || kill -s KILL "$pid" 2>/dev/null
    fi
  done
  [ "$TAG" = - ] || fw_remove
  rm -rf -- "$dir"
  rmdir -- "${dir%/*}" 2>/dev/null
  echo CLEAN
  ;;
run)
  dir=$1 name=$2
  shift 2
  if [ "${DC_LEADER:-}" != 1 ]; then
    # setsid --wait: CMD leads its own process group (so a group signal reaches all it forks) and
    # keeps this channel's stdin and stdout; the channel ends when CMD ends.
    DC_LEADER=1 exec setsid --wait bash -c "$BASH_EXECUTION_STRING" dc run "$dir" "$name" "$@"
  fi
  unset DC_LEADER
  umask 077
  cd "$dir" || exit 2
  echo $$ >"pids/$name.pid.tmp" && mv -f "pids/$name.pid.tmp" "pids/$name.pid" || exit 2
  export DC_TAG="$dir/$name"
  exec "$@"
  ;;
signal)
  dir=$1 name=$2 sig=$3
  if ! pid=$(owned "$dir" "$name"); then
    echo gone
    exit 0
  fi
  case "$sig" in
  KILL | STOP | CONT) kill -s "$sig" -- "-$pid" 2>/dev/null || kill -s "$sig" "$pid" ;;
  *) kill -s "$sig" "$pid" ;;
  esac
  echo "sent $sig $pid"
  ;;
check)
  java=$1 SUDO=$2 address=$3
  shift 3
  echo "bash $BASH_VERSION"
  if command -v "$java" >/dev/null 2>&1; then
    echo "java $("$java" -version 2>&1 | head -n 1)"
  else
    echo "java missing"
  fi
  for c in setsid tar xz; do
    if command -v "$c" >/dev/null 2>&1; then echo "$c ok"; else echo "$c missing"; fi
  done
  if ! command -v iptables >/dev/null 2>&1; then
    echo "iptables missing"
  elif out=$(ipt -S INPUT 2>&1 >/dev/null); then
    echo "iptables ok"
  else
    echo "iptables refused: $(echo "$out" | head -n 1)"
  fi
  for p in "$@"; do
    if timeout 2 bash -c "exec 3<>/dev/tcp/$address/$p" 2>/dev/null; then echo "port $p busy"; else echo "port $p free"; fi
  done
  ;;
fw-init)
  SUDO=$1 TAG=$2
  fw_remove
  ipt -N "DCI-$TAG" && ipt -N "DCO-$TAG" && ipt -I INPUT 1 -j "DCI-$TAG" && ipt -I OUTPUT 1 -j "DCO-$TAG"
  ;;
fw-set)
  SUDO=$1 TAG=$2
  shift 2
  ipt -F "DCI-$TAG" && ipt -F "DCO-$TAG" || exit 1
  for r in "$@"; do
    set -f
    set -- $r
    set +f
    case "$1" in
    I) shift; ipt -A "DCI-$TAG" "$@" || exit 1 ;;
    O) shift; ipt -A "DCO-$TAG" "$@" || exit 1 ;;
    *) echo "bad rule '$r'"; exit 2 ;;
    esac
  done
  ;;
fw-remove)
  SUDO=$1 TAG=$2
  fw_remove
  ;;
*)
  echo "unknown subcommand '$sub'"
  exit 2
  ;;
esac
