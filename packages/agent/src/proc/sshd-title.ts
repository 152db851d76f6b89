/**
 * What an sshd process is doing, from the title it writes over its argv (OpenSSH setproctitle;
 * OpenSSH ≥ 9.8 runs sessions as `sshd-session`). One process moves through these titles:
 *
 *   sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups   the server, accepting
 *   sshd: [accepted]                                          a connection, before the user is known
 *   sshd: USER [priv]   / sshd: USER [net]  (or [preauth])    authenticating (may still fail)
 *   sshd: USER                                                authenticated, no session yet
 *   sshd: USER@pts/N   / sshd: USER@notty                     a logged-in session (pty or not)
 *
 * Only the last is a login: `[priv]` appears for failed attempts too.
 */

export type SshdTitle =
  | { kind: 'listener' }
  | { kind: 'accepted' }
  | { kind: 'auth', user: string }
  | { kind: 'authenticated', user: string }
  | { kind: 'session', user: string, tty: string | undefined }

const PREFIXES = ['sshd: ', 'sshd-session: ', 'sshd-auth: ']

/** The title's meaning, or undefined when `cmdline` is not an sshd title. */
export function parseSshdTitle (cmdline: readonly string[]): SshdTitle | undefined {
  const first = cmdline.join(' ').trimEnd()
  const prefix = PREFIXES.find((p) => first.startsWith(p))
  if (prefix === undefined) return undefined
  const title = first.slice(prefix.length)
  if (title.includes('[listener]') || title.startsWith('/')) return { kind: 'listener' }
  if (title === '[accepted]') return { kind: 'accepted' }
  const auth = /^(\S+) \[(?:priv|net|preauth)\]$/.exec(title)
  if (auth !== null) return { kind: 'auth', user: auth[1] as string }
  const session = /^([^\s@]+)@(\S+)$/.exec(title)
  if (session !== null) {
    const tty = session[2] as string
    return { kind: 'session', user: session[1] as string, tty: tty === 'notty' ? undefined : `/dev/${tty.split(',')[0] ?? tty}` }
  }
  if (/^[^\s@[]+$/.test(title)) return { kind: 'authenticated', user: title }
  return undefined
}
