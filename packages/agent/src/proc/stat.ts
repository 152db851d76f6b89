/**
 * /proc/PID/stat, parsed. The command name (field 2) is in parentheses and may itself contain
 * spaces and parentheses (`prctl(PR_SET_NAME)` takes any 15 bytes), so the fields after it are
 * found from the LAST ')' of the text, never by splitting the whole line on spaces.
 */

export interface ProcStat {
  pid: number
  /** The kernel's task name, at most 15 bytes, as set by exec or prctl(PR_SET_NAME). */
  comm: string
  /** One letter: R, S, D, Z, T, t, X, I, ... */
  state: string
  ppid: number
  pgrp: number
  session: number
  /** The controlling terminal as the kernel encodes it (see tty.ts); 0 for none. */
  ttyNr: number
  /** PF_* flags (field 9). */
  flags: number
  /** Start time in clock ticks after boot (field 22). */
  startTicks: number
}

/** PF_KTHREAD: the task is a kernel thread (no executable, no user memory). */
export const PF_KTHREAD = 0x00200000

/** The fields of a stat line, or undefined when the text is not one (empty, cut short). */
export function parseStat (text: string): ProcStat | undefined {
  const open = text.indexOf(' (')
  const close = text.lastIndexOf(')')
  if (open < 1 || close < open) return undefined
  const pid = Number(text.slice(0, open))
  // After ") ": state is field 3, so rest[i] is field i + 3.
  const rest = text.slice(close + 2).split(' ')
  if (!Number.isSafeInteger(pid) || pid < 0 || rest.length < 20) return undefined
  const field = (n: number): number => Number(rest[n - 3])
  const stat: ProcStat = {
    pid,
    comm: text.slice(open + 2, close),
    state: rest[0] ?? '',
    ppid: field(4),
    pgrp: field(5),
    session: field(6),
    ttyNr: field(7),
    flags: field(9),
    startTicks: field(22),
  }
  for (const n of [stat.ppid, stat.pgrp, stat.session, stat.ttyNr, stat.flags, stat.startTicks]) {
    if (!Number.isSafeInteger(n)) return undefined
  }
  return stat
}
