/**
 * The container a process runs in, from /proc/PID/cgroup. Container runtimes name the cgroup
 * after the container; these are the layouts of the runtimes sidewatch runs under, cgroup v1
 * (one line per hierarchy, `N:controllers:/path`) and v2 (`0::/path`):
 *
 *   ECS (EC2 and Fargate)   /ecs/TASK_ID/CONTAINER_ID  (Fargate: CONTAINER_ID is `TASK_ID-NNNNNNNNNN`)
 *   Docker                  /docker/ID                 /system.slice/docker-ID.scope
 *   containerd (CRI)        /…/cri-containerd-ID.scope
 *   CRI-O, Podman           /…/crio-ID.scope, /…/libpod-ID.scope
 *   Kubernetes (cgroupfs)   /kubepods/…/podUID/ID
 *
 * The id is what the runtime reports: ECS task metadata v4 `DockerId`, `docker ps --no-trunc`,
 * Kubernetes `containerID` without its `containerd://` prefix.
 */

const HEX64 = '[0-9a-f]{64}'
const PATTERNS: readonly RegExp[] = [
  /\/ecs\/[^/]+\/([^/]+)$/,
  new RegExp(`(?:docker|cri-containerd|crio|libpod)-(${HEX64})\\.scope$`),
  new RegExp(`/docker/(${HEX64})(?:/|$)`),
  new RegExp(`/kubepods\\b.*/pod[^/]+/(${HEX64})$`),
]

/** The container id of the first line that has one; undefined for a process outside containers. */
export function containerIdFromCgroup (text: string): string | undefined {
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':', line.indexOf(':') + 1)
    if (colon === -1) continue
    const path = line.slice(colon + 1)
    for (const pattern of PATTERNS) {
      const id = pattern.exec(path)?.[1]
      if (id !== undefined) return id
    }
  }
  return undefined
}
