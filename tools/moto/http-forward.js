'use strict';
// One request to the upstream (moto_server), its whole answer buffered: what the loopback proxies
// in front of moto (serializing-proxy.js, ec2-proxy.js) send on.

const http = require('node:http');

/** Sends one request to `upstream` (a URL) and resolves with { status, headers, body }. */
function forward(upstream, method, path, headers, body) {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      { host: upstream.hostname, port: upstream.port, method, path, headers: { ...headers, host: upstream.host }, agent: false },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode || 502, headers: response.headers, body: Buffer.concat(chunks) }));
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

module.exports = { forward };
