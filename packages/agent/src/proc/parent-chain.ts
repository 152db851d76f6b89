/**
 * A process's ancestors from the scanner's table, nearest first: who started the shell. The
 * chain stops at a pid the table does not have (outside the PID namespace, or exited) and at
 * `max` steps, and never loops.
 */

export interface ChainLink { pid: number, ppid: number }

export function ancestors<R extends ChainLink> (table: ReadonlyMap<number, R>, pid: number, max = 32): R[] {
  const chain: R[] = []
  const seen = new Set<number>([pid])
  let current = table.get(pid)
  while (current !== undefined && chain.length < max) {
    const parentPid = current.ppid
    if (parentPid === 0 || seen.has(parentPid)) break
    const parent = table.get(parentPid)
    if (parent === undefined) break
    chain.push(parent)
    seen.add(parentPid)
    current = parent
  }
  return chain
}
