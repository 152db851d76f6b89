/**
 * The controlling terminal's name from stat's tty_nr, the device number in the kernel's encoding
 * (major in bits 8–19, minor in bits 0–7 and 20–31). Unix98 pseudo-terminals (/dev/pts/N, the
 * ones `ssh -t`, `docker exec -t` and `script` make) use majors 136–143, 256 minors each.
 */

/** `/dev/pts/3`, `/dev/tty1`, `/dev/ttyS0`, `/dev/console`, `/dev/char/M:m` for others; undefined for none (0). */
export function ttyName (ttyNr: number): string | undefined {
  if (ttyNr === 0) return undefined
  const major = (ttyNr >>> 8) & 0xfff
  const minor = (ttyNr & 0xff) | ((ttyNr >>> 12) & 0xfff00)
  if (major >= 136 && major <= 143) return `/dev/pts/${(major - 136) * 256 + minor}`
  if (major === 4) return minor < 64 ? `/dev/tty${minor}` : `/dev/ttyS${minor - 64}`
  if (major === 5) {
    if (minor === 0) return '/dev/tty'
    if (minor === 1) return '/dev/console'
    if (minor === 2) return '/dev/ptmx'
  }
  return `/dev/char/${major}:${minor}`
}

/** True for a pseudo-terminal (an interactive session made by ssh -t, docker exec -t, script, tmux). */
export function isPseudoTerminal (ttyNr: number): boolean {
  const major = (ttyNr >>> 8) & 0xfff
  return major >= 136 && major <= 143
}
