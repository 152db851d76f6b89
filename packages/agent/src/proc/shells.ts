/**
 * Which programs are interactive shells, by executable or command name. A shell with a
 * controlling terminal in a container is someone typing commands into it.
 */
import { basename } from 'node:path'

export const SHELL_NAMES: ReadonlySet<string> = new Set([
  'sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'ksh93', 'mksh', 'pdksh', 'yash', 'fish', 'csh', 'tcsh', 'rbash', 'busybox', 'pwsh', 'nu', 'elvish', 'xonsh',
])

/** True when the executable's file name or the command name is a shell's (a login shell's comm is `-bash`). */
export function isShell (exe: string | undefined, comm: string | undefined, names: ReadonlySet<string> = SHELL_NAMES): boolean {
  if (exe !== undefined && names.has(basename(exe))) return true
  return comm !== undefined && names.has(comm.startsWith('-') ? comm.slice(1) : comm)
}
