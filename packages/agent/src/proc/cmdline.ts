/**
 * /proc/PID/cmdline: the arguments, NUL-separated. Read with a byte limit (an attacker can pass
 * megabytes of arguments); what is cut is marked truncated. A process that rewrote its argv
 * area into one string with spaces (sshd, postgres, nginx set their titles so) gives one element;
 * trailing empty arguments are dropped with the NUL padding such titles leave.
 */

/** Bytes of the command line read per process (all arguments together). */
export const DEFAULT_CMDLINE_BYTES = 4096
/** At most this many arguments are kept (the event schema's limit). */
export const MAX_CMDLINE_ARGS = 1024

export interface Cmdline {
  args: string[]
  /** The command line had more than was read or kept. */
  truncated: boolean
}

/**
 * The arguments in `bytes[0, length)`, where the reader asked for `limit + 1` bytes: more than
 * `limit` means the command line goes on and is cut at `limit`.
 */
export function parseCmdline (bytes: Buffer, length: number, limit: number = DEFAULT_CMDLINE_BYTES): Cmdline {
  let truncated = length > limit
  let end = Math.min(length, limit)
  // A process that rewrote its argv into a title (sshd, postgres) pads it with NULs.
  while (end > 0 && bytes[end - 1] === 0) end--
  const args = length === 0 ? [] : bytes.toString('utf8', 0, end).split('\0')
  if (args.length > MAX_CMDLINE_ARGS) {
    args.length = MAX_CMDLINE_ARGS
    truncated = true
  }
  return { args, truncated }
}
