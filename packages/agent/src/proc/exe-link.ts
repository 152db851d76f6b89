/**
 * The target of /proc/PID/exe. When the binary was deleted or replaced after the process started
 * (an attacker's dropped-and-removed tool, an upgraded package), the kernel appends ` (deleted)`.
 */

export interface ExeLink {
  path: string
  deleted: boolean
}

const DELETED = ' (deleted)'

export function parseExeLink (link: string): ExeLink {
  if (link.endsWith(DELETED)) return { path: link.slice(0, -DELETED.length), deleted: true }
  return { path: link, deleted: false }
}
