/**
 * Whether a socket is a TCP or UDP connection (IPv4 or IPv6) of the network namespace of the
 * process whose /proc directory is `dir`. This is what tells a reverse shell's standard input (a
 * connection to the attacker) from the unix socketpairs that Node, and others, give a child process
 * as its pipes. Read only when a process's stdin and stdout are both sockets, which is rare.
 */
import { readFileSync } from 'node:fs'
import { parseNetTcp } from './net-tcp'

const TABLES = ['tcp', 'tcp6', 'udp', 'udp6']

export function isInetSocket (dir: string, inode: number): boolean {
  const needle = ` ${inode} `
  for (const table of TABLES) {
    let text: string
    try {
      text = readFileSync(`${dir}/net/${table}`, 'latin1')
    } catch {
      continue
    }
    if (!text.includes(needle)) continue
    if (parseNetTcp(text).some((s) => s.inode === inode)) return true
  }
  return false
}
