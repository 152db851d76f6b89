// A net.flow's owning process as the agent reports it: pid and executable from the socket, and,
// when the process scanner saw that process start, its executable's SHA-256 joined in by the
// rules' correlator. Compared exactly, the hash (when there) against the file's own.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'

import type { Test } from 'tap'

export function checkOwner (t: Test, got: { sha256?: string } & Record<string, unknown> | undefined, want: { pid: number | undefined, exe: string }, what: string): void {
  const { sha256, ...rest } = got ?? {}
  t.same(rest, want, what)
  if (sha256 !== undefined) t.equal(sha256, createHash('sha256').update(readFileSync(want.exe)).digest('hex'), `${what}: the hash joined from the process table is the executable's`)
}
