/**
 * Starting the console for `sidewatch-agent console` and `collect --console`: the address (loopback
 * only: the console speaks plain HTTP, so reach it from elsewhere through ssh -L or kubectl
 * port-forward), the token (given, SIDEWATCH_CONSOLE_TOKEN, or made up and printed), the store.
 */
import { AgentError } from '../errors'
import { isLoopback } from '../ingest/listen-spec'
import { openConsoleStore } from './console-store'
import { newToken } from './auth'
import { ConsoleServer } from './server'

export const DEFAULT_CONSOLE_ADDRESS = '127.0.0.1:7880'
const MIN_TOKEN = 16

export interface ConsoleAddress { host: string, port: number }

/** `127.0.0.1:7880`, `localhost:7880`, `[::1]:7880` or a bare port; loopback only. */
export function parseConsoleAddress (text: string, flag = '--listen'): ConsoleAddress {
  const match = /^(?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(text)
  const port = Number(match?.[2])
  if (match === null || port > 65535) throw new AgentError('SW_ERR_LISTEN', `${flag} ${JSON.stringify(text)} is not HOST:PORT, e.g. ${DEFAULT_CONSOLE_ADDRESS}`)
  const raw = match[1] ?? '127.0.0.1'
  const host = raw.startsWith('[') ? raw.slice(1, -1) : raw
  if (!isLoopback(host)) {
    throw new AgentError('SW_ERR_LISTEN', `${flag} ${host}: the console listens on loopback only (127.0.0.1, ::1, localhost); it speaks plain HTTP, so reach it through ssh -L or kubectl port-forward`)
  }
  return { host, port }
}

/** The token: given (flag, then SIDEWATCH_CONSOLE_TOKEN) or made up. */
export function consoleToken (given: string | undefined, env: NodeJS.ProcessEnv): { token: string, generated: boolean } {
  const token = given ?? env.SIDEWATCH_CONSOLE_TOKEN
  if (token === undefined || token === '') return { token: newToken(), generated: true }
  if (token.length < MIN_TOKEN) throw new AgentError('SW_ERR_CONFIG', `the console token must be at least ${MIN_TOKEN} characters (it is the only lock on the console); leave it out and one is made up`)
  return { token, generated: false }
}

export interface RunningConsole { server: ConsoleServer, close: () => Promise<void> }

/** Opens the store (SW_ERR_DB when it is missing or corrupt) and serves the console on it. */
export async function serveConsole (options: { db: string, address: ConsoleAddress, token: string, rulePaths?: readonly string[] }): Promise<RunningConsole> {
  const db = openConsoleStore(options.db)
  let server: ConsoleServer
  try {
    server = await ConsoleServer.start({ db, host: options.address.host, port: options.address.port, token: options.token, rulePaths: options.rulePaths })
  } catch (err) {
    db.close()
    throw new AgentError('SW_ERR_LISTEN_FAILED', `the console cannot listen on ${options.address.host}:${options.address.port}: ${(err as Error).message}`, { cause: err })
  }
  return { server, close: async () => { await server.close(); db.close() } }
}
