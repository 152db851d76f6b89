/**
 * An `emit` of ours on a prototype (a server's, IncomingMessage's, ServerResponse's,
 * ClientRequest's): set once per prototype, so nothing is added per object, and restored at
 * disable. A prototype that inherited its `emit` gets an own one, deleted again on restore.
 */
type AnyFunction = (this: unknown, ...args: unknown[]) => unknown
type Proto = Record<string, unknown>

const kOriginal = Symbol('sidewatch.originalEmit')
/** Set on a prototype whose `emit` we defined (it had none of its own before). */
const kAdded = Symbol('sidewatch.addedEmit')

/** True for an `emit` set by setEmit. */
export function isOurEmit (fn: unknown): boolean {
  return typeof fn === 'function' && kOriginal in fn
}

/**
 * Puts `wrap(original)` as `proto.emit`. False, changing nothing, when `proto` has no `emit`,
 * has ours already, or cannot be changed (a frozen prototype).
 */
export function setEmit (proto: Proto, wrap: (original: AnyFunction) => AnyFunction): boolean {
  const original = proto.emit
  if (typeof original !== 'function' || isOurEmit(original)) return false
  const own = Object.prototype.hasOwnProperty.call(proto, 'emit')
  const emit = wrap(original as AnyFunction)
  Object.defineProperty(emit, kOriginal, { value: original })
  try {
    Object.defineProperty(proto, 'emit', { value: emit, writable: true, configurable: true, enumerable: own })
    if (!own) Object.defineProperty(proto, kAdded, { value: true, configurable: true })
  } catch {
    return false
  }
  return true
}

/** Undoes setEmit (nothing when `proto.emit` is not ours). */
export function restoreEmit (proto: Proto): void {
  if (!isOurEmit(proto.emit)) return
  if (Object.prototype.hasOwnProperty.call(proto, kAdded)) {
    delete proto.emit
    delete (proto as Record<symbol, unknown>)[kAdded]
  } else {
    proto.emit = (proto.emit as unknown as Record<symbol, unknown>)[kOriginal]
  }
}
