'use strict'
// The shop's HTTP plumbing, shared by server.js (CommonJS) and server.mjs (ESM): a table of
// routes, each `(url) => Promise<body>`, served as JSON on 127.0.0.1:$PORT.
const http = require('node:http')

function serve (routes) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost')
    const route = routes[url.pathname]
    if (route === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}')
      return
    }
    route(url).then(
      (body) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
      (err) => res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: err.message })))
  })
  server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1', () => {
    // The demo and the tests read this line to learn the port.
    console.log(JSON.stringify({ msg: 'shop listening', port: server.address().port }))
  })
  process.on('SIGTERM', () => server.close(() => process.exit(0)))
  return server
}

module.exports = { serve }
