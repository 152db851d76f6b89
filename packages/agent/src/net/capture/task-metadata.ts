/**
 * The task's own IP addresses from the ECS task metadata endpoint v4
 * (`GET ${ECS_CONTAINER_METADATA_URI_V4}/task`): every container's
 * `Networks[].IPv4Addresses` and `IPv6Addresses`. On Fargate (awsvpc) these are the task ENI's
 * addresses; the `auto` capture matches them against the host's interfaces.
 *
 * A short timeout: the endpoint is link-local and answers at once when it is there at all.
 */
import { get } from 'node:http'
import { AgentError } from '../../errors'

export const METADATA_TIMEOUT_MS = 2000
/** The document is a few KB; anything far larger is not the metadata endpoint. */
const MAX_BODY = 4 * 1024 * 1024

/** The addresses in a task metadata v4 document (deduplicated, in order of appearance). */
export function taskAddressesOf (doc: unknown): string[] {
  const out = new Set<string>()
  const containers = (doc as { Containers?: unknown } | null)?.Containers
  if (!Array.isArray(containers)) return []
  for (const container of containers) {
    const networks = (container as { Networks?: unknown } | null)?.Networks
    if (!Array.isArray(networks)) continue
    for (const network of networks) {
      for (const key of ['IPv4Addresses', 'IPv6Addresses']) {
        const list = (network as Record<string, unknown> | null)?.[key]
        if (!Array.isArray(list)) continue
        for (const address of list) if (typeof address === 'string' && address !== '') out.add(address)
      }
    }
  }
  return [...out]
}

/** GETs `${uri}/task` and returns its addresses. Throws SW_ERR_CAPTURE saying what went wrong. */
export async function fetchTaskAddresses (uri: string, timeoutMs = METADATA_TIMEOUT_MS): Promise<string[]> {
  return taskAddressesOf(await fetchTaskMetadata(uri, timeoutMs))
}

/** GETs `${uri}/task`: the task metadata v4 document. Throws SW_ERR_CAPTURE saying what went wrong. */
export function fetchTaskMetadata (uri: string, timeoutMs = METADATA_TIMEOUT_MS): Promise<unknown> {
  const url = `${uri.replace(/\/+$/, '')}/task`
  const fail = (why: string, cause?: unknown): AgentError =>
    new AgentError('SW_ERR_CAPTURE', `ECS task metadata ${url}: ${why}`, { cause })
  return new Promise((resolve, reject) => {
    let req: ReturnType<typeof get>
    try {
      req = get(url, { timeout: timeoutMs }, (res) => {
        if (res.statusCode !== 200) {
          res.resume()
          reject(fail(`HTTP ${String(res.statusCode)}`))
          return
        }
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > MAX_BODY) { req.destroy(fail(`answer larger than ${MAX_BODY} bytes`)); return }
          chunks.push(chunk)
        })
        res.on('end', () => {
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
          } catch (err) {
            reject(fail('answer is not JSON', err))
          }
        })
        res.on('error', (err) => reject(fail(err.message, err)))
      })
    } catch (err) {
      reject(fail((err as Error).message, err))
      return
    }
    req.on('timeout', () => req.destroy(fail(`no answer within ${timeoutMs} ms`)))
    req.on('error', (err) => reject(err instanceof AgentError ? err : fail(err.message, err)))
  })
}

/** The identity fields of a task metadata v4 document, as the event envelope's `task` carries them. */
export interface EcsTaskFields {
  cluster?: string
  arn?: string
  family?: string
  revision?: string
  availability_zone?: string
  launch_type?: string
  addresses?: string[]
}

/**
 * `Cluster`, `TaskARN`, `Family`, `Revision`, `AvailabilityZone`, `LaunchType` and the task's
 * addresses of a task metadata v4 document. Missing or non-string fields are left out; a
 * document that is not an object gives `{}`.
 */
export function taskFieldsOf (doc: unknown): EcsTaskFields {
  const d = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>
  const out: EcsTaskFields = {}
  const put = (key: Exclude<keyof EcsTaskFields, 'addresses'>, value: unknown): void => {
    if (typeof value === 'string' && value !== '') out[key] = value
  }
  put('cluster', d.Cluster)
  put('arn', d.TaskARN)
  put('family', d.Family)
  put('revision', d.Revision)
  put('availability_zone', d.AvailabilityZone)
  put('launch_type', d.LaunchType)
  const addresses = taskAddressesOf(doc)
  if (addresses.length > 0) out.addresses = addresses
  return out
}
