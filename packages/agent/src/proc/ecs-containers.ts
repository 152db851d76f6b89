/**
 * Container names for container ids: the ECS task metadata v4 task document
 * (`$ECS_CONTAINER_METADATA_URI_V4/task`) lists each container's `Name` and `DockerId`, and the
 * DockerId is the id found in the container's processes' cgroup (cgroup.ts). This turns the
 * document into a lookup; fetching it is the caller's business (it changes only when the task does).
 */

/** DockerId → Name of every container in a task metadata v4 document; empty for anything else. */
export function containerNamesFromTaskMetadata (task: unknown): Map<string, string> {
  const names = new Map<string, string>()
  const containers = (task as { Containers?: unknown } | null)?.Containers
  if (!Array.isArray(containers)) return names
  for (const c of containers as Array<{ DockerId?: unknown, Name?: unknown }>) {
    if (typeof c?.DockerId === 'string' && typeof c.Name === 'string') names.set(c.DockerId, c.Name)
  }
  return names
}
