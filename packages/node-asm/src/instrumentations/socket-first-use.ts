/**
 * Which sockets an outbound request of ours has used before: a request on a socket seen for the
 * first time opened a new connection (one flow record on the agent's side); later ones reuse it.
 */
const used = new WeakSet<object>()

/** True the first time `socket` is passed in, false after. */
export function firstUse (socket: object): boolean {
  if (used.has(socket)) return false
  used.add(socket)
  return true
}
