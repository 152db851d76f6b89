/** One line per event for the human listing: what a person wants to see first, per kind. */
import type { SidewatchEvent } from '@sidewatch/proto'

export function summarize (event: SidewatchEvent): string {
  switch (event.kind) {
    case 'http.request': {
      const h = event.http
      return join(h.method, h.route ?? h.url, h.status, h.duration_ms !== undefined && `${Math.round(h.duration_ms)}ms`, h.blocked === true && 'BLOCKED')
    }
    case 'http.client': {
      const h = event.http
      return join(h.method, h.url, h.status !== undefined ? `→ ${h.status}` : h.error !== undefined && `error: ${h.error}`)
    }
    case 'process.exec': {
      // The API and whether a shell parses the line are what a reader needs to judge it.
      const e = event.exec
      return join(`${e.method}${e.shell ? ' (shell)' : ''}:`, e.command_line, e.blocked === true && 'BLOCKED')
    }
    case 'fs.op': return join(event.fs.op, event.fs.path, event.fs.dest !== undefined && `→ ${event.fs.dest}`, event.fs.blocked === true && 'BLOCKED')
    case 'attack': {
      const a = event.attack
      return join(a.class, 'in', a.sink, `from ${a.input.name}=${JSON.stringify(a.input.value)}`, a.blocked ? 'BLOCKED' : 'monitored')
    }
    case 'dependency': return `${event.dependency.name}@${event.dependency.version}`
    case 'process.start':
    case 'process.exit': {
      const p = event.process
      return join(`pid ${p.pid}`, p.cmdline?.join(' ') ?? p.exe ?? p.comm, p.user !== undefined && `user ${p.user}`,
        p.exit_code !== undefined && `exit ${p.exit_code}`)
    }
    case 'net.flow': {
      const f = event.flow
      return join(f.proto, `${f.src}:${f.sport} → ${f.dst}:${f.dport}`, f.scope, f.end,
        `${f.src_bytes + f.dst_bytes}B`, f.process?.exe)
    }
    case 'login.ssh': return join(event.login.user, event.login.peer !== undefined && `from ${event.login.peer.address}`, event.login.tty)
    case 'cloudtrail': {
      const c = event.cloudtrail
      return join(c.event_source, c.event_name, c.principal, c.error_code !== undefined && `error ${c.error_code}`)
    }
    case 'alert': return `[${event.alert.priority}] ${event.alert.rule}: ${event.alert.output}`
    case 'agent.stats': {
      const counters = Object.entries(event.stats.counters).filter(([, n]) => n !== 0).map(([k, n]) => `${k}=${n}`)
      return join(event.stats.component, counters.length > 0 ? counters.join(' ') : 'all counters 0')
    }
    case 'sshd.presence': {
      const d = event.sshd
      return join('SSH server', d.container_id !== undefined && `in ${d.container_id.slice(0, 12)}`, d.binaries.length > 0 && `installed (${d.binaries.join(', ')})`,
        d.running.length > 0 && `running (pid ${d.running.map((r) => r.pid).join(', ')})`, d.listening.length > 0 && `listening on ${d.listening.map((l) => `${l.address}:${l.port}`).join(', ')}`)
    }
    case 'http.summary': {
      const h = event.http
      const requests = h.server.reduce((n, row) => n + row.count, 0)
      const calls = h.client.reduce((n, row) => n + row.count, 0)
      return join(`${requests} requests (${h.server.length} rows), ${calls} outbound calls (${h.client.length} rows)`,
        h.overflow !== undefined && h.overflow > 0 && `${h.overflow} uncounted by row`, `${h.start} → ${h.end}`)
    }
    default: return ''
  }
}

function join (...parts: Array<string | number | false | undefined>): string {
  return parts.filter((p) => p !== undefined && p !== false && p !== '').join(' ')
}
