#!/usr/bin/env bash
# Runs a command in a network namespace that has only loopback, with every connect(), sendto()
# and sendmsg() of every process and thread it starts recorded by strace, then fails when any of
# them aimed anywhere but loopback ports that were allowed.
#
#   test/hardening/isolate.sh [--allow-port N]... [--allow-loopback] [--ignore-program REGEX]...
#                             [--log FILE] -- command args...
#
# --allow-loopback accepts loopback on any port: for harnesses whose own parts talk over loopback
# on ports chosen at run time (code-server and its browser); traffic off the machine stays forbidden.
# --ignore-program lists, without failing, attempts by programs that are not Scout's (the
# harness's browser and server), matched against "executable arg1 arg2" as recorded.
#
# Exit status: the command's own when it failed; 86 when it succeeded but tried to reach out (the
# attempts are printed on stderr); 0 otherwise. The namespace makes sure nothing can leave even if
# the recording misses something; the recording makes sure an attempt cannot hide behind a
# swallowed ENETUNREACH, a retry loop or a fallback (a command that works offline can still try to
# phone home). Name lookups count as reaching out: glibc's resolver (UDP/TCP to port 53) and nscd.
#
# Needs util-linux unshare, iproute2 and strace; root, or unprivileged user namespaces.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

allow=()
log=""
while (($#)); do
  case "$1" in
    --allow-port) allow+=(--allow-port "$2"); shift 2 ;;
    --allow-loopback) allow+=(--allow-loopback); shift ;;
    --ignore-program) allow+=(--ignore-program "$2"); shift 2 ;;
    --log) log="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "isolate.sh: unknown option $1 (the command goes after --)" >&2; exit 2 ;;
  esac
done
(($#)) || { echo "isolate.sh: no command given" >&2; exit 2; }
for tool in unshare ip strace; do
  command -v "$tool" >/dev/null || { echo "isolate.sh: $tool is missing (apt-get install -y util-linux iproute2 strace)" >&2; exit 2; }
done

if [[ -z "$log" ]]; then
  log="$(mktemp "${TMPDIR:-/tmp}/scout-isolate-XXXXXX.strace")"
  trap 'rm -f "$log"' EXIT
fi

# Root gets a plain network namespace; anyone else a user namespace that maps them to root in it.
unshare_flags=(-n)
((EUID == 0)) || unshare_flags=(-r -n)

status=0
unshare "${unshare_flags[@]}" bash -c '
  set -e
  ip link set lo up
  exec strace -f -qq -s 256 -e trace=connect,sendto,sendmsg,execve,clone,clone3,fork,vfork -o "$0" "$@"
' "$log" "$@" || status=$?

if ! node "$here/connections.mjs" "$log" "${allow[@]}"; then
  ((status != 0)) || status=86
fi
exit "$status"
