/**
 * User names from the /etc/passwd of the process's own root (/proc/PID/root/etc/passwd): a
 * container has its own users, and uid 1000 in one image is not uid 1000 in the next. Files
 * are parsed once and cached by the file's device, inode, size and mtime, so every container
 * (mount namespace) costs one stat per new process and one parse per change of its passwd.
 */
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** uid → name of an /etc/passwd text (`name:x:uid:gid:gecos:home:shell`); the first entry of a uid wins. */
export function parsePasswd (text: string): Map<number, string> {
  const names = new Map<number, string>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const fields = line.split(':')
    const uid = Number(fields[2])
    const name = fields[0]
    if (name === undefined || name === '' || fields[2] === '' || !Number.isSafeInteger(uid) || names.has(uid)) continue
    names.set(uid, name)
  }
  return names
}

export const DEFAULT_PASSWD_CACHE = 64

export class UserNames {
  #files = new Map<string, Map<number, string>>()
  #max: number

  constructor (maxFiles = DEFAULT_PASSWD_CACHE) {
    this.#max = maxFiles
  }

  /** The name of `uid` in the passwd file under `root` (e.g. `/proc/42/root`); undefined when unknown or unreadable. */
  lookup (root: string, uid: number): string | undefined {
    const file = join(root, 'etc', 'passwd')
    let key: string
    try {
      const st = statSync(file, { bigint: true })
      key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}`
    } catch {
      return undefined
    }
    let names = this.#files.get(key)
    if (names === undefined) {
      try {
        names = parsePasswd(readFileSync(file, 'utf8'))
      } catch {
        return undefined
      }
      if (this.#files.size >= this.#max) this.#files.delete(this.#files.keys().next().value as string)
      this.#files.set(key, names)
    }
    return names.get(uid)
  }
}
