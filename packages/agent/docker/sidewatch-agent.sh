#!/bin/sh
# `sidewatch-agent` in the image (packages/agent/Dockerfile): runs the agent with as much of the
# two capabilities it uses as the container grants, and no more. Each is a file capability on a
# copy of node; exec refuses a binary whose file capabilities the bounding set lacks, so the copy
# is chosen by what /proc/self/status says the bounding set holds:
#   CAP_NET_RAW (13)     packet capture; without it flows come from polling /proc/net
#   CAP_SYS_PTRACE (19)  /proc/PID/exe, cwd, fd and root of processes of other users (the app's):
#                        executable hashes, socket owners; without it only what /proc shows anyone
set -eu
bounding=$(sed -n 's/^CapBnd:[[:space:]]*//p' /proc/self/status)
has () { [ $(( (0x${bounding:-0} >> $1) & 1 )) -eq 1 ]; }
if has 13 && has 19; then
  node=/usr/local/bin/sidewatch-node-ptrace
elif has 13; then
  node=/usr/local/bin/sidewatch-node
else
  node=/usr/local/bin/node
fi
exec "$node" /opt/sidewatch/packages/agent/bin/sidewatch-agent.js "$@"
