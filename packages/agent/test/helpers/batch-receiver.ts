// A receiver for the https sink's gzip JSON batches (plain http on loopback, which the sink allows)
// that can be told to hang: take the connection and the batch, and never answer. Records the ids
// of the events of `kind` it answered for.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync } from 'node:zlib'

export interface BatchReceiver {
  url: string
  /** Ids of the events of the kind asked for, from the batches it answered 200. */
  ids: Set<string>
  /** Requests taken and not answered while hanging. */
  pending: ServerResponse[]
  setHang: (on: boolean) => void
}

export async function startBatchReceiver (t: { teardown: (fn: () => unknown) => void }, kind: string, hang = true): Promise<BatchReceiver> {
  const ids = new Set<string>()
  const pending: ServerResponse[] = []
  let hanging = hang
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (hanging) { pending.push(res); return } // took it, says nothing
      const body = JSON.parse(gunzipSync(Buffer.concat(chunks)).toString('utf8')) as { events: Array<{ id: string, kind: string }> }
      for (const e of body.events) if (e.kind === kind) ids.add(e.id)
      res.writeHead(200).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const res of pending) res.destroy(); server.closeAllConnections(); return new Promise((resolve) => server.close(resolve)) })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`, ids, pending, setHang: (on) => { hanging = on } }
}
