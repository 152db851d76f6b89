/**
 * The health and metrics endpoint: GET /healthz (JSON) and GET /metrics (Prometheus text).
 * Everything else is 404. Off unless an address is configured.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AgentError } from './errors'
import type { Logger } from './log'
import type { AgentMetrics } from './metrics'

export interface MetricsAddress { host: string, port: number }

/** `127.0.0.1:9464`, `[::1]:9464`, or a bare port (loopback). */
export function parseMetricsAddress (text: string): MetricsAddress {
  const match = /^(?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(text)
  const port = Number(match?.[2])
  if (match === null || port > 65535) {
    throw new AgentError('SW_ERR_METRICS', `metrics address ${JSON.stringify(text)} is not valid; expected HOST:PORT, e.g. 127.0.0.1:9464`)
  }
  const host = match[1] ?? '127.0.0.1'
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port }
}

export interface MetricsServer {
  /** `HOST:PORT` as bound. */
  readonly address: string
  close (): Promise<void>
}

export async function startMetricsServer (
  at: MetricsAddress, metrics: AgentMetrics, health: () => Record<string, unknown>, log: Logger,
): Promise<MetricsServer> {
  void metrics.registry // made now, so process metrics (event loop lag) are watched from the start
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', ...health() }))
    } else if (req.method === 'GET' && path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => { res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text) },
        (err: unknown) => {
          log.error({ err }, 'metrics collection failed')
          res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n')
        })
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /healthz or /metrics\n')
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new AgentError('SW_ERR_LISTEN_FAILED',
      `cannot listen for metrics on ${at.host}:${at.port}: ${err.message}`, { cause: err })))
    server.listen({ host: at.host, port: at.port }, resolve)
  })
  const bound = server.address() as AddressInfo
  const address = `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`
  log.info({ address }, 'metrics listening')
  return { address, close: () => closeServer(server) }
}

function closeServer (server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    // Scrapers keep connections alive; do not let them hold up shutdown.
    server.closeAllConnections()
  })
}
