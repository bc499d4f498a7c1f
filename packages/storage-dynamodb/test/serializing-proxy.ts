// A loopback HTTP proxy that forwards one request at a time to moto_server.
//
// moto_server serves requests on threads and does not lock a table while it checks a condition
// and writes, so two concurrent conditional writes can both pass (a lost update DynamoDB itself
// never allows). Serializing requests gives moto DynamoDB's per-item atomicity back without
// changing anything else: the processes still interleave their read-modify-write cycles.
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface SerializingProxy {
  readonly endpoint: string;
  /** Requests forwarded so far. */
  readonly forwarded: () => number;
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export async function startSerializingProxy(target: string): Promise<SerializingProxy> {
  const upstream = new URL(target);
  let queue: Promise<unknown> = Promise.resolve();
  let forwarded = 0;

  const forward = (method: string, path: string, headers: IncomingHttpHeaders, body: Buffer): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        { host: upstream.hostname, port: upstream.port, method, path, headers, agent: false },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 502, headers: response.headers, body: Buffer.concat(chunks) }));
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  const server = createServer((incoming, reply) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const headers = { ...incoming.headers, connection: 'close' };
      const turn = queue.then(() => forward(incoming.method ?? 'POST', incoming.url ?? '/', headers, Buffer.concat(chunks)));
      queue = turn.catch(() => undefined);
      turn.then(
        (answer) => {
          forwarded += 1;
          const { connection: _connection, 'transfer-encoding': _encoding, ...rest } = answer.headers;
          reply.writeHead(answer.status, { ...rest, 'content-length': answer.body.length });
          reply.end(answer.body);
        },
        (error: unknown) => {
          reply.writeHead(502);
          reply.end(String(error));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    forwarded: () => forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
