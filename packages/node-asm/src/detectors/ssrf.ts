/**
 * Server-side request forgery: a request input chose where an outbound request goes.
 *
 * An input controls the host when it occurs over the host of the URL as written, or when it names
 * that host once normalised the way `new URL` normalises it (`http://2852039166/` is
 * `http://169.254.169.254/`). What then fires:
 * - the destination is internal (loopback, link-local, private, metadata, unspecified) and the
 *   input chose the host or changed its structure (added a `.`, `:`, `@`);
 * - the destination is public and the input, not a header, chose the whole host or its domain
 *   (`.evil.com` appended): the attacker picks who receives the request.
 * An input filling one label or octet of a host the app wrote (`http://10.0.0.{}/`) only picks
 * among the destinations the app already addresses, and does not fire.
 * No input involved: no finding; the caller reports internal destinations as events of their own.
 */
import type { RequestInput } from '../channels'
import { inputValues } from './decoded-values'
import type { Finding } from './finding'
import { classifyDestination, formatIPv4, parseIPv4 } from './ip-address'

type HostControl = 'whole' | 'structure'

const ARTICLE = { loopback: 'a', 'link-local': 'a', private: 'a', metadata: 'a', public: 'a', unspecified: 'an' } as const

interface Target {
  readonly hostname: string
  /** [start, end) of the host in the URL text as given; -1 when the text has no `//` authority. */
  readonly hostStart: number
  readonly hostEnd: number
}

export function detectSsrf (url: string, inputs: readonly RequestInput[]): Finding | undefined {
  let target: Target | null | undefined
  for (const input of inputs) {
    for (const value of inputValues(input)) {
      // The fast path: the input neither occurs in the URL nor could be a host spelled differently.
      if (value.length === 0 || (!url.includes(value) && !mayNameHost(value))) continue
      target ??= targetOf(url)
      if (target === null) return undefined
      const control = hostControl(target, url, value)
      if (control === undefined) continue
      const destination = classifyDestination(target.hostname)
      if (destination !== 'public') {
        return { class: 'ssrf', input, target: url, reason: `input ${control === 'whole' ? 'chooses' : 'rewrites'} the host of a request to ${ARTICLE[destination]} ${destination} address (${target.hostname})` }
      }
      // A Host, Origin or Referer header naming a public host is the app's own name more often than
      // an attacker's choice: apps call their own domain. Headers count for internal hosts only.
      if (control === 'whole' && input.source !== 'headers') {
        return { class: 'ssrf', input, target: url, reason: `input chooses the destination host (${target.hostname})` }
      }
    }
  }
  return undefined
}

/**
 * An app calls the same few URLs over and over: the last URL's target is kept (targets are never
 * changed once made), so a repeated URL is not parsed again.
 */
let lastUrl: string | undefined
let lastTarget: Target | null = null

function targetOf (url: string): Target | null {
  if (url === lastUrl) return lastTarget
  const target = parseTarget(url)
  lastUrl = url
  lastTarget = target
  return target
}

/**
 * The request's host, found in the URL text. A plain host (letters, digits, dots, dashes) is
 * canonicalised here, IPv4 forms by the WHATWG rules; anything else (brackets, percent-escapes,
 * non-ASCII, no `//`) is left to `new URL`, which costs a microsecond or so per call.
 */
function parseTarget (url: string): Target | null {
  const { start, end } = hostSpan(url)
  const raw = url.slice(start, end).toLowerCase()
  if (start !== -1 && isPlainHost(raw)) {
    const ip = parseIPv4(raw)
    return { hostname: ip === undefined ? raw : formatIPv4(ip), hostStart: start, hostEnd: end }
  }
  const hostname = parsedHostname(url)
  return hostname === undefined || hostname === '' ? null : { hostname, hostStart: start, hostEnd: end }
}

function isPlainHost (host: string): boolean {
  if (host === '') return false
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i)
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 46 || c === 45 || c === 95)) return false
  }
  return true
}

/** The host as written: after `//` and any `user:pass@`, before the port, path, query or fragment. */
function hostSpan (url: string): { start: number, end: number } {
  const slashes = url.indexOf('//')
  // Only the `//` right after a scheme starts an authority; a `//` in a path does not.
  if (slashes < 1 || url[slashes - 1] !== ':') return { start: -1, end: -1 }
  let end = slashes + 2
  while (end < url.length && !'/?#\\'.includes(url[end] as string)) end++
  const at = url.lastIndexOf('@', end - 1)
  const start = at > slashes ? at + 1 : slashes + 2
  if (url[start] === '[') {
    const close = url.indexOf(']', start)
    return { start, end: close === -1 || close > end ? end : close + 1 }
  }
  const colon = url.indexOf(':', start)
  return { start, end: colon === -1 || colon > end ? end : colon }
}

/**
 * How the input's occurrences in the URL text touch its host. An input that also occurs outside
 * the host (`http://127.0.0.1:9000/log?ip=127.0.0.1`) may just be echoed by the app: the host is
 * then not known to be the input's, and nothing is claimed.
 */
function hostControl (target: Target, url: string, value: string): HostControl | undefined {
  const { hostStart: start, hostEnd: end } = target
  if (start === -1 || !url.includes(value)) return sameHost(target.hostname, value) ? 'whole' : undefined
  let control: HostControl | 'suffix' | undefined
  for (let at = url.indexOf(value); at !== -1; at = url.indexOf(value, at + 1)) {
    const stop = at + value.length
    if (stop <= start || at >= end) return undefined
    control = strongest(control, occurrenceControl(url, at, stop, start, end))
  }
  return control === 'suffix' ? 'whole' : control
}

/**
 * One occurrence overlapping the host. It changes the host's structure when it reaches in from
 * before the host (`@`, the scheme), brings a port, or continues one of the app's labels and adds
 * labels (`api.example.com` + `.evil.net`). Filling in a whole label after the app's own dot
 * (`api.` + `example.com`, `10.0.0.` + `5`) is not structure: it is a value the app placed there,
 * or a coincidence. Ending the host while changing its structure means choosing the domain.
 */
function occurrenceControl (url: string, at: number, stop: number, start: number, end: number): HostControl | 'suffix' | undefined {
  if (at <= start && stop >= end) return 'whole'
  const injected = url.slice(Math.max(at, start), Math.min(stop, end))
  const structural = at < start || injected.includes(':') || (injected.includes('.') && url[at - 1] !== '.')
  if (!structural) return undefined
  return stop >= end ? 'suffix' : 'structure'
}

function strongest (a: HostControl | 'suffix' | undefined, b: HostControl | 'suffix' | undefined): HostControl | 'suffix' | undefined {
  if (a === 'whole' || b === 'whole') return 'whole'
  if (a === 'suffix' || b === 'suffix') return 'suffix'
  return a ?? b
}

/**
 * Inputs that could name the host in another spelling: a URL, or a bare host made of host
 * characters only. Header values, sentences and emails are ruled out here without parsing.
 */
function mayNameHost (value: string): boolean {
  if (value.length > 2048) return false
  if (value.includes('://')) return true
  if (value.length > 255) return false
  for (let i = 0; i < value.length; i++) {
    if (!isHostChar(value.charCodeAt(i))) return false
  }
  return true
}

/** Letters, digits, `.`, `-`, `:`, `[`, `]`, `_`: what a host, IP literal and port are made of. */
function isHostChar (c: number): boolean {
  const lower = c | 0x20
  return (lower >= 97 && lower <= 122) || (c >= 48 && c <= 58) || c === 46 || c === 45 || c === 91 || c === 93 || c === 95
}

/**
 * The input, read as a URL or as a bare `host[:port]`, names the request's host. A bare value is
 * compared without `new URL` (whose exception on garbage costs ~15 µs): a name only spells itself
 * (case and a trailing dot aside), and an IPv4 literal is decoded by the same WHATWG rules.
 */
function sameHost (hostname: string, value: string): boolean {
  if (value.includes('://')) return parsedHostname(value) === hostname
  const bare = withoutPort(value.toLowerCase())
  if (bare === undefined || bare === '') return false
  if (bare === hostname || bare === hostname + '.') return true
  if (bare[0] === '[') return parsedHostname(`http://${bare}/`) === hostname
  const ip = parseIPv4(bare)
  return ip !== undefined && formatIPv4(ip) === hostname
}

/** `host`, `host:8080`, `[::1]:80` without the port; undefined when what follows `:` is no port. */
function withoutPort (value: string): string | undefined {
  const colon = value.indexOf(':', value[0] === '[' ? value.indexOf(']') : 0)
  if (colon === -1) return value
  for (let i = colon + 1; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 48 || c > 57) return undefined
  }
  return value.slice(0, colon)
}

function parsedHostname (url: string): string | undefined {
  try {
    return new URL(url).hostname
  } catch {
    return undefined
  }
}
