/**
 * Which executables are shells or script interpreters. Decided by basename so that `/bin/sh`,
 * `/usr/bin/bash`, `/usr/local/bin/zsh` and a bare `bash` looked up on PATH all count.
 */

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ash', 'ksh', 'mksh', 'csh', 'tcsh', 'fish',
  // busybox runs any applet, `sh` included: `busybox sh -c ...` is a shell.
  'busybox'])

/** Interpreters that run code given on the command line (`-c`, `-e`, `--eval`, `-r`). */
const INTERPRETERS = new Set(['node', 'nodejs', 'python', 'python2', 'python3', 'perl', 'ruby', 'php', 'lua', 'deno', 'bun', 'osascript', 'awk', 'gawk'])

/** The flags after which these programs take code to run. */
export const CODE_FLAGS: ReadonlySet<string> = new Set(['-c', '-e', '--eval', '-r', '-p', '--print'])

export function basename (file: string): string {
  return file.slice(file.lastIndexOf('/') + 1)
}

export function isShellBinary (file: string): boolean {
  return SHELLS.has(basename(file))
}

/** A shell, or a script interpreter with a version suffix (`python3.11`, `perl5.36`). */
export function isInterpreter (file: string): boolean {
  const name = basename(file)
  if (SHELLS.has(name) || INTERPRETERS.has(name)) return true
  let end = name.length
  while (end > 0 && isVersionChar(name.charCodeAt(end - 1))) end--
  return end < name.length && INTERPRETERS.has(name.slice(0, end))
}

/** Digits and dots. */
function isVersionChar (c: number): boolean {
  return c === 46 || (c >= 48 && c <= 57)
}
