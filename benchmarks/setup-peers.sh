#!/usr/bin/env bash
# Installs what the benchmarks need beyond scripts/setup: the flow-tracking peer softflowd, nfdump
# (its nfcapd collects softflowd's NetFlow on loopback), tcpreplay and tcpdump (live capture
# benchmark), GNU time (/usr/bin/time -v for max RSS) and valgrind (app-instructions counts
# instructions per request with callgrind). Debian/Ubuntu, apt-get, as root or
# through sudo. Safe to run again: does nothing when everything is there. `npm run bench` calls it.
set -euo pipefail

say() { printf 'setup-peers: %s\n' "$*" >&2; }

# package:command-it-provides
want=(softflowd:softflowd nfdump:nfcapd tcpreplay:tcpreplay tcpdump:tcpdump time:/usr/bin/time valgrind:valgrind)

missing=()
for item in "${want[@]}"; do
  pkg=${item%%:*}
  cmd=${item#*:}
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' && command -v "$cmd" >/dev/null; then
    continue
  fi
  missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
  say "missing packages: ${missing[*]} (run as root or install them with apt-get)"; exit 1
fi
if ! command -v apt-get >/dev/null; then
  say "missing packages: ${missing[*]}, and no apt-get here: install them with the system's package manager"; exit 1
fi
say "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# softflowd's and nfdump's packages enable system services; the benchmark starts its own
# processes, so keep the packages' daemons from starting (policy-rc.d, only while installing).
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  made_policy=1
fi
cleanup() { if [ "$made_policy" = 1 ]; then "${sudo[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
for item in "${want[@]}"; do
  cmd=${item#*:}
  command -v "$cmd" >/dev/null || { say "ERROR: $cmd still missing after installing ${missing[*]}"; exit 1; }
done
say "installed ${missing[*]}"
