/**
 * /proc/PID/status, the ids in it: real and effective uid and gid. The real ids say who started
 * the process; an effective id that differs says it runs set-uid or set-gid.
 */

export interface ProcIds {
  uid: number
  euid: number
  gid: number
  egid: number
}

/** The Uid: and Gid: lines (real, effective, saved, filesystem), or undefined when missing. */
export function parseStatusIds (text: string): ProcIds | undefined {
  const uid = idLine(text, 'Uid:')
  const gid = idLine(text, 'Gid:')
  if (uid === undefined || gid === undefined) return undefined
  return { uid: uid[0], euid: uid[1], gid: gid[0], egid: gid[1] }
}

function idLine (text: string, label: string): [number, number] | undefined {
  const at = text.startsWith(label) ? 0 : text.indexOf(`\n${label}`) + 1
  if (at === 0 && !text.startsWith(label)) return undefined
  const end = text.indexOf('\n', at)
  const ids = text.slice(at + label.length, end === -1 ? undefined : end).trim().split(/\s+/).map(Number)
  const [real, effective] = ids
  if (real === undefined || effective === undefined || !Number.isSafeInteger(real) || !Number.isSafeInteger(effective)) return undefined
  return [real, effective]
}
