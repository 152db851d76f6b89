'use strict'
// A safety net for the demo (`node -r ./loopback-only.js`): every TCP connection this process
// opens must go to loopback. The demo points the shop's /preview at the cloud metadata address
// with the SDK in block mode, which refuses the call before any socket exists; should that ever
// fail, this refuses the connection here instead of sending a packet off the machine.
const net = require('node:net')

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+|localhost)$/i
const connect = net.Socket.prototype.connect

net.Socket.prototype.connect = function (...args) {
  // Node passes normalized [options, callback] arrays internally; users pass (options | port, host).
  const first = Array.isArray(args[0]) ? args[0][0] : args[0]
  const options = first !== null && typeof first === 'object' ? first : { port: first, host: typeof args[1] === 'string' ? args[1] : undefined }
  if (options.host !== undefined && options.host !== null && !LOOPBACK.test(String(options.host).replace(/^\[|\]$/g, ''))) {
    const err = new Error(`loopback-only: refused a connection to ${options.host}:${options.port}`)
    err.code = 'ELOOPBACKONLY'
    process.nextTick(() => this.destroy(err))
    return this
  }
  return connect.apply(this, args)
}
