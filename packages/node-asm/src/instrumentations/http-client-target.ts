/**
 * Where an `http.request` / `https.request` call will go, read from its arguments the way Node's
 * ClientRequest reads them (url string, URL, options, url + options; options override the URL),
 * before anything is sent. A request over a Unix socket (`socketPath`) is reported with the
 * socket as `host` and a `http://unix:<socket>:<path>` url. Arguments Node would reject (an
 * invalid URL string) are not described: Node throws its own error.
 */
import type { HttpClientContext } from '../channels'

type Options = Record<string, unknown>

export function describeRequest (api: 'http' | 'https', args: ArrayLike<unknown>): HttpClientContext | undefined {
  let input = args[0]
  let options = args[1]
  let base: Options | undefined
  if (typeof input === 'string') {
    const url = URL.canParse(input) ? new URL(input) : undefined
    if (url === undefined) return undefined
    base = urlOptions(url)
  } else if (input instanceof URL) {
    base = urlOptions(input)
  } else {
    options = input
    input = undefined
  }
  const opts = options !== null && typeof options === 'object' ? options as Options : undefined
  const pick = (key: string): unknown => opts?.[key] ?? base?.[key]

  const protocol = stringOr(pick('protocol'), api === 'https' ? 'https:' : 'http:')
  const method = stringOr(pick('method'), 'GET').toUpperCase()
  const path = stringOr(pick('path'), '/')
  const socketPath = pick('socketPath')
  if (typeof socketPath === 'string' && socketPath !== '') {
    return { api, method, url: `${protocol}//unix:${socketPath}:${path}`, host: socketPath }
  }
  const host = stringOr(pick('hostname'), stringOr(pick('host'), 'localhost'))
  const agent = pick('agent') as { defaultPort?: unknown } | undefined
  const defaultPort = Number(pick('defaultPort') ?? agent?.defaultPort) || (protocol === 'https:' ? 443 : 80)
  const port = Number(pick('port')) || defaultPort
  const hostInUrl = host.includes(':') ? `[${host}]` : host
  const portInUrl = port === (protocol === 'https:' ? 443 : 80) ? '' : `:${port}`
  return { api, method, url: `${protocol}//${hostInUrl}${portInUrl}${path}`, host, port }
}

/** Node's urlToHttpOptions, the fields we read. */
function urlOptions (url: URL): Options {
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  return { protocol: url.protocol, hostname, port: url.port === '' ? undefined : Number(url.port), path: `${url.pathname}${url.search}` }
}

function stringOr (value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback
}
