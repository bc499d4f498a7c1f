'use strict';
// A loopback HTTP proxy that forwards one request at a time to moto_server.
//
// moto_server serves requests on threads and does not lock a DynamoDB table while it checks a
// condition and writes, so two concurrent conditional writes can both pass (a lost update
// DynamoDB itself never allows). Serializing requests gives moto DynamoDB's per-item atomicity
// back without changing anything else: clients still interleave their read-modify-write cycles.
// Used by the concurrency tests of the DynamoDB store (package and CLI).

const http = require('node:http');
const { forward: forwardTo } = require('./http-forward');

/** Starts the proxy in front of `target` (moto's endpoint); resolves with { endpoint, forwarded(), close() }. */
async function startSerializingProxy(target) {
  const upstream = new URL(target);
  let queue = Promise.resolve();
  let forwarded = 0;

  const forward = (method, path, headers, body) => forwardTo(upstream, method, path, headers, body);

  const server = http.createServer((incoming, reply) => {
    const chunks = [];
    incoming.on('data', (chunk) => chunks.push(chunk));
    incoming.on('end', () => {
      const headers = { ...incoming.headers, connection: 'close' };
      const turn = queue.then(() => forward(incoming.method || 'POST', incoming.url || '/', headers, Buffer.concat(chunks)));
      queue = turn.catch(() => undefined);
      turn.then(
        (answer) => {
          forwarded += 1;
          const { connection: _connection, 'transfer-encoding': _encoding, ...rest } = answer.headers;
          reply.writeHead(answer.status, { ...rest, 'content-length': answer.body.length });
          reply.end(answer.body);
        },
        (error) => {
          reply.writeHead(502);
          reply.end(String(error));
        },
      );
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    forwarded: () => forwarded,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

module.exports = { startSerializingProxy };
