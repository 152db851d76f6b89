// The demo's stand-in for "somewhere on the internet": a network namespace holding one end of a
// veth pair at 203.0.113.2 (TEST-NET-3, an address no real host has), with the other end, 203.0.113.1,
// in the demo's own namespace. The agent captures that veth the way it captures a task's ENI, and
// the attacker's server runs inside the namespace, so the attack story's outbound traffic never
// leaves this machine. Needs root (ip netns); without it the demo skips these steps and says why.
import { execFileSync, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

const NS = `swdemo${process.pid}`
const LINK = 'swdemo0'
const PEER = 'swdemo1'
export const LOCAL_ADDR = '203.0.113.1'
export const REMOTE_ADDR = '203.0.113.2'
export const REMOTE_PORT = 8000

const ip = (...args) => execFileSync('ip', args, { stdio: 'pipe' })

/** Why the namespace cannot be made here, or undefined when it can. */
export function networkUnavailable () {
  if (process.getuid?.() !== 0) return 'network namespaces need root (run the demo as root to see them)'
  try { ip('netns', 'list') } catch (err) { return `ip netns is not available: ${String(err.message).split('\n')[0]}` }
  // Never shadow a network this machine really uses (some sandboxes number their NIC from the
  // documentation ranges).
  const taken = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' }).split('\n').find((l) => l.includes(' 203.0.113.') && !l.includes(LINK))
  if (taken !== undefined) return `203.0.113.0/24 is already in use here (${taken.trim().split(/\s+/)[1]})`
  return undefined
}

/**
 * Makes the namespace and the veth pair, and starts the attacker's server in it. Removed again on
 * exit, whatever happens. Resolves with { iface, stop } once the server listens.
 */
export async function startAttackerNetwork () {
  const remove = () => {
    try { ip('netns', 'del', NS) } catch { /* already gone */ }
    try { ip('link', 'del', LINK) } catch { /* went with the namespace */ }
  }
  process.once('exit', remove)
  try { ip('link', 'del', LINK) } catch { /* none left from an earlier, killed run */ }
  ip('netns', 'add', NS)
  execFileSync('ip', ['netns', 'exec', NS, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6'], { stdio: 'pipe' })
  ip('link', 'add', LINK, 'type', 'veth', 'peer', 'name', PEER, 'netns', NS)
  // IPv6 off on the demo's end too: only the story's traffic on the wire.
  try { execFileSync('sysctl', ['-qw', `net.ipv6.conf.${LINK}.disable_ipv6=1`], { stdio: 'pipe' }) } catch { /* no IPv6 here */ }
  ip('addr', 'add', `${LOCAL_ADDR}/24`, 'dev', LINK)
  ip('-n', NS, 'addr', 'add', `${REMOTE_ADDR}/24`, 'dev', PEER)
  ip('-n', NS, 'link', 'set', 'lo', 'up')
  ip('-n', NS, 'link', 'set', PEER, 'up')
  ip('link', 'set', LINK, 'up')

  // The attacker's server: /stage2 answers after half a second (a slow C2 server; it also keeps the
  // connection open long enough for the agent to see which process owns it), /upload takes
  // everything sent and says how much.
  const server = `
    require('http').createServer((req, res) => {
      let bytes = 0
      req.on('data', (d) => { bytes += d.length })
      req.on('end', () => setTimeout(() => res.end(req.url === '/upload' ? 'received ' + bytes + ' bytes\\n' : 'echo stage 2\\n'), req.url === '/upload' ? 0 : 500))
    }).listen(${REMOTE_PORT}, '${REMOTE_ADDR}', () => console.log('up'))`
  const child = spawn('ip', ['netns', 'exec', NS, process.execPath, '-e', server], { stdio: ['ignore', 'pipe', 'inherit'] })
  process.once('exit', () => child.kill('SIGKILL'))
  await new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve)
    child.once('exit', (code) => reject(new Error(`the attacker's server in ${NS} exited with ${code}`)))
  })
  return {
    iface: LINK,
    stop: () => { child.kill('SIGKILL'); remove() },
  }
}
