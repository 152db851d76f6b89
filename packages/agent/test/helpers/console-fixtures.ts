// Events for console tests: an attack story across every layer (request, attack, SDK exec, the
// process it started with its parent chain, its flow, a CloudTrail call), with an XSS payload in
// every field an attacker controls.
import { randomUUID } from 'node:crypto'

/** Payloads that would run script if any page rendered them as HTML. */
export const XSS = [
  '<script>window.__xss=1</script>',
  '"><img src=x onerror="window.__xss=2">',
  "' onmouseover='window.__xss=3' x='",
  '</pre></textarea><svg onload="window.__xss=4">',
  'javascript:window.__xss=5',
]
export const X = (i: number): string => XSS[i % XSS.length] as string

const now = (offsetMs = 0): string => new Date(Date.now() + offsetMs).toISOString()
const secs = (offsetMs: number): number => (Date.now() + offsetMs) / 1000

/** The events of one request that became an attack; sent to an agent, they make alerts. */
export function attackStory (tag = randomUUID().slice(0, 8)): Array<Record<string, unknown>> {
  const rid = `req-${tag}`
  const sha = 'ab'.repeat(32)
  const task = { arn: `arn:aws:ecs:eu-west-1:111122223333:task/shop/${tag}${X(0)}`, family: `shop${X(1)}` }
  const base = { service: `checkout${X(2)}`, container: `web${X(1)}`, task }
  return [
    { id: `ps-node-${tag}`, ts: now(-60_000), kind: 'process.start', source: 'agent.proc', ...base,
      process: { pid: 100, ppid: 1, exe: '/usr/local/bin/node', sha256: 'cd'.repeat(32), cmdline: ['node', `server.js${X(2)}`], user: 'app', cwd: '/srv/app', uid: 1000, gid: 1000 } },
    { id: `http-${tag}`, ts: now(-5000), kind: 'http.request', source: 'node-asm', ...base, request_id: rid,
      http: { method: 'GET', url: `/convert?tool=${X(0)}`, route: `/convert${X(3)}`, status: 200, duration_ms: 12, client: { address: '203.0.113.7', port: 40000 }, user_agent: `sqlmap ${X(1)}` } },
    { id: `atk-${tag}`, ts: now(-4900), kind: 'attack', source: 'node-asm', ...base, request_id: rid,
      attack: { class: 'command_injection', sink: 'child_process.execFile', input: { source: 'query', name: `query.tool${X(4)}`, value: `/tmp/.x/payload ${X(0)}` }, target: `/tmp/.x/payload ${X(1)}`, request: { method: 'GET', url: `/convert?tool=${X(2)}`, route: '/convert' }, frame: `/srv/app/${X(3)}.js:10:5`, blocked: false } },
    { id: `exec-${tag}`, ts: now(-4800), kind: 'process.exec', source: 'node-asm', ...base, request_id: rid, pid: 100,
      exec: { method: 'execFile', file: '/tmp/.x/payload', args: [X(0)], shell: false, command_line: `/tmp/.x/payload ${X(0)}`, pid: 4321 } },
    { id: `ps-payload-${tag}`, ts: now(-4700), kind: 'process.start', source: 'agent.proc', ...base,
      process: { pid: 4321, ppid: 100, exe: '/tmp/.x/payload', sha256: sha, cmdline: ['/tmp/.x/payload', X(3)], user: `app${X(4)}`, cwd: '/tmp', uid: 1000, gid: 1000 } },
    { id: `flow-${tag}`, ts: now(-4000), kind: 'net.flow', source: 'agent.net', ...base,
      flow: { proto: 'tcp', src: '10.0.0.5', sport: 51000, dst: '169.254.169.254', dport: 80, first: secs(-5000), last: secs(-4000), src_pkts: 5, src_bytes: 420, dst_pkts: 4, dst_bytes: 1337, end: 'fin', scope: 'outbound', process: { pid: 4321, exe: '/tmp/.x/payload' } } },
    { id: `flow-intra-${tag}`, ts: now(-3500), kind: 'net.flow', source: 'agent.net', ...base,
      flow: { proto: 'tcp', src: '10.0.0.5', sport: 51002, dst: '10.0.0.5', dport: 6379, first: secs(-4000), last: secs(-3500), src_pkts: 3, src_bytes: 300, dst_pkts: 3, dst_bytes: 200, end: 'fin', scope: 'intra-task', process: { pid: 100, exe: '/usr/local/bin/node' } } },
    { id: `ct-${tag}`, ts: now(-3000), kind: 'cloudtrail', source: 'cloudtrail',
      cloudtrail: { event_id: `ct-${tag}`, event_name: 'ExecuteCommand', event_source: 'ecs.amazonaws.com', event_time: now(-3000), region: 'eu-west-1', source_ip: '198.51.100.20', principal: `arn:aws:iam::111122223333:user/mallory${X(0)}`,
        record: { eventVersion: '1.08', eventID: `ct-${tag}`, eventName: 'ExecuteCommand', eventSource: 'ecs.amazonaws.com', awsRegion: 'eu-west-1', sourceIPAddress: '198.51.100.20', userAgent: `aws-cli ${X(1)}`,
          userIdentity: { type: 'IAMUser', arn: `arn:aws:iam::111122223333:user/mallory${X(0)}`, accountId: '111122223333' },
          requestParameters: { cluster: 'shop', task: `${tag}`, container: `web${X(2)}`, command: `/bin/sh -c '${X(3)}'`, interactive: true }, responseElements: { session: { sessionId: 's' } } } } },
  ]
}
