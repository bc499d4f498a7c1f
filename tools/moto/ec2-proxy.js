'use strict';
// A loopback HTTP proxy in front of moto_server that stands in for real EC2 where moto does not:
//
//  - ClientToken: the first answer of RunInstances / CreateFleet / RequestSpotFleet for a token is
//    kept and replayed for the same token, as EC2 does (moto launches again);
//  - holding: answers of chosen actions are held for a while, so that a test can kill a caller in
//    the middle of a call (or see overlapping calls);
//  - faults: chosen actions are answered with EC2's error XML, or swallowed (answered as if done
//    and not forwarded: "the cloud accepted it but never carried it out"), or moto's answer is
//    amended (fields EC2 reports that moto leaves out, such as a fleet's launch errors);
//  - a ledger of what was launched for which request (capacity per `hf:request-id`), and counts
//    per action, for the tests' assertions.
//
// Query-protocol services only (EC2, Auto Scaling: form-encoded `Action=...` bodies); anything
// else (DynamoDB, SSM, SQS JSON) is forwarded untouched.

const http = require('node:http');
const { forward: forwardTo } = require('./http-forward');

const LAUNCHES = new Set(['RunInstances', 'CreateFleet', 'RequestSpotFleet']);

/**
 * @param {string} target moto's endpoint
 * @param {{ hold?: (action: string, params: URLSearchParams) => number | Promise<unknown> }} [options]
 */
async function startEc2Proxy(target, options = {}) {
  const upstream = new URL(target);
  const byToken = new Map();
  const counts = new Map();
  const ledger = new Map(); // requestId -> { units, calls: [{ action, units }] }
  const groupDesired = new Map(); // ASG group name -> highest desired capacity set
  const faults = new Map(); // action -> { kind: 'error', code, message, status } | { kind: 'swallow', body }
  const refusals = []; // { action, when(params), code, message, status }: errors for the matching calls only
  const sent = new Map(); // action -> the params of every call of it seen, in order
  const amendments = new Map(); // action -> (xml, params) => xml: moto's answer edited (what EC2 says that moto does not)
  const journal = []; // { action, ms }: every request answered, in order (the benchmark's AWS calls and round trips)
  let hold = options.hold ?? (() => 0);
  const pending = new Set();

  const forward = (method, path, headers, body) => forwardTo(upstream, method, path, headers, body);

  const record = (requestId, action, units) => {
    if (!requestId || !(units > 0)) return;
    const entry = ledger.get(requestId) ?? { units: 0, calls: [] };
    entry.units += units;
    entry.calls.push({ action, units });
    ledger.set(requestId, entry);
  };

  const account = (action, params, answer) => {
    if (answer.status >= 300) return;
    const text = answer.body.toString('utf8');
    if (action === 'RunInstances') {
      record(tagValue(params, 'TagSpecification', 'hf:request-id'), action, (text.match(/<instanceId>/g) || []).length);
    } else if (action === 'CreateFleet') {
      const requestId = tagValue(params, 'TagSpecification', 'hf:request-id');
      const units =
        params.get('Type') === 'instant'
          ? (text.match(/<item>i-[0-9a-f]+<\/item>/g) || []).length
          : Number(params.get('TargetCapacitySpecification.TotalTargetCapacity') || 0);
      record(requestId, action, units);
    } else if (action === 'RequestSpotFleet') {
      record(
        tagValue(params, 'SpotFleetRequestConfig.TagSpecification', 'hf:request-id'),
        action,
        Number(params.get('SpotFleetRequestConfig.TargetCapacity') || 0),
      );
    } else if (action === 'CreateAutoScalingGroup' || action === 'UpdateAutoScalingGroup') {
      const name = params.get('AutoScalingGroupName') || '';
      const desired = params.get('DesiredCapacity');
      if (desired === null) return;
      const before = groupDesired.get(name) ?? 0;
      if (Number(desired) > before) {
        groupDesired.set(name, Number(desired));
        record((name.match(/req-[0-9a-f-]+$/) || [])[0], action, Number(desired) - before);
      }
    }
  };

  // Requests seen, and those that came through a forward proxy (it adds a Via header).
  const seen = { total: 0, via: 0 };
  const server = http.createServer((incoming, reply) => {
    const chunks = [];
    incoming.on('data', (chunk) => chunks.push(chunk));
    incoming.on('end', async () => {
      const body = Buffer.concat(chunks);
      const form = /x-www-form-urlencoded/.test(String(incoming.headers['content-type'] || ''));
      const params = form ? new URLSearchParams(body.toString('utf8')) : new URLSearchParams();
      const action = params.get('Action') || '';
      if (action) counts.set(action, (counts.get(action) || 0) + 1);
      if (action) {
        if (!sent.has(action)) sent.set(action, []);
        sent.get(action).push(params);
      }
      seen.total += 1;
      if (incoming.headers.via) seen.via += 1;
      const started = process.hrtime.bigint();
      const send = (status, headers, payload) => {
        journal.push({ action: action || String(incoming.headers['x-amz-target'] || ''), ms: Number(process.hrtime.bigint() - started) / 1e6 });
        if (reply.destroyed) return;
        const { connection: _c, 'transfer-encoding': _t, 'content-length': _l, ...rest } = headers;
        reply.writeHead(status, { ...rest, 'content-length': payload.length });
        reply.end(payload);
      };
      const job = (async () => {
        // A number holds the answer that many ms; a promise holds it until it settles.
        const delay = action ? hold(action, params) : 0;
        if (typeof delay === 'number' && delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        else if (delay && typeof delay.then === 'function')
          await delay.then(
            () => undefined,
            () => undefined,
          );
        const refusal = refusals.find((rule) => rule.action === action && rule.when(params));
        if (refusal) {
          send(refusal.status, { 'content-type': 'text/xml' }, Buffer.from(ec2ErrorXml(refusal.code, refusal.message)));
          return;
        }
        const fault = faults.get(action);
        if (fault?.kind === 'error') {
          send(fault.status, { 'content-type': 'text/xml' }, Buffer.from(ec2ErrorXml(fault.code, fault.message)));
          return;
        }
        if (fault?.kind === 'swallow') {
          send(200, { 'content-type': 'text/xml' }, Buffer.from(fault.body(params)));
          return;
        }
        const token = LAUNCHES.has(action) ? params.get('ClientToken') || params.get('SpotFleetRequestConfig.ClientToken') : null;
        const key = token ? `${action}:${token}` : undefined;
        if (key && byToken.has(key)) {
          const cached = await byToken.get(key);
          send(cached.status, cached.headers, cached.body);
          return;
        }
        const answering = forward(incoming.method || 'POST', incoming.url || '/', incoming.headers, body);
        if (key)
          byToken.set(
            key,
            answering.then((a) => (a.status < 300 ? a : (byToken.delete(key), a))),
          );
        const answer = await answering;
        account(action, params, answer);
        const amend = answer.status < 300 ? amendments.get(action) : undefined;
        send(answer.status, answer.headers, amend ? Buffer.from(amend(answer.body.toString('utf8'), params)) : answer.body);
      })().catch((error) => send(502, {}, Buffer.from(String(error))));
      pending.add(job);
      job.finally(() => pending.delete(job));
    });
  });
  // TCP connections from the clients: how many in all, and most open at once (pool checks).
  const sockets = { total: 0, open: 0, maxOpen: 0 };
  server.on('connection', (socket) => {
    sockets.total += 1;
    sockets.open += 1;
    sockets.maxOpen = Math.max(sockets.maxOpen, sockets.open);
    socket.on('close', () => (sockets.open -= 1));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    /** Requests seen per action (`RunInstances`: 3). */
    count: (action) => counts.get(action) || 0,
    requests: () => ({ ...seen }),
    /** Capacity launched per request id (token replays not counted). */
    launched: () => new Map([...ledger].map(([id, entry]) => [id, entry.units])),
    ledger: () => ledger,
    /** Client connections: `total` accepted, `maxOpen` open at the same time. */
    connections: () => ({ total: sockets.total, maxOpen: sockets.maxOpen }),
    setHold: (fn) => {
      hold = fn;
    },
    /** Answers `action` with EC2's error XML (`code`, `message`, HTTP `status`) until cleared. */
    fail: (action, code, message = code, status = 400) => faults.set(action, { kind: 'error', code, message, status }),
    /** Answers `action` with `body(params)` without forwarding it, until cleared. */
    swallow: (action, body) => faults.set(action, { kind: 'swallow', body }),
    /** Edits moto's successful answers to `action` with `edit(xml, params)` until cleared (fields EC2 reports and moto leaves out). */
    amend: (action, edit) => amendments.set(action, edit),
    clear: (action) => {
      faults.delete(action);
      amendments.delete(action);
      for (let i = refusals.length - 1; i >= 0; i--) if (refusals[i].action === action) refusals.splice(i, 1);
    },
    /** Answers the `action` calls whose parameters `when` matches with EC2's error XML, until cleared (capacity refusals of one pool). */
    refuse: (action, when, code, message = code, status = 400) => refusals.push({ action, when, code, message, status }),
    /** Every request answered so far, in order: its action and how long the answer took (ms, hold included). */
    journal: () => [...journal],
    /** The parameters of every `action` call seen, in order. */
    sent: (action) => [...(sent.get(action) || [])],
    /** Waits for every request in flight to be answered. */
    drain: async () => {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The value of tag `key` among `<prefix>.N.Tag.M.Key/Value` query parameters. */
function tagValue(params, prefix, key) {
  for (const [name, value] of params) {
    if (value !== key || !name.startsWith(`${prefix}.`) || !name.endsWith('.Key')) continue;
    return params.get(`${name.slice(0, -'.Key'.length)}.Value`) || undefined;
  }
  return undefined;
}

/** EC2's error body (Query API). */
function ec2ErrorXml(code, message) {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code>` +
    `<Message>${message}</Message></Error></Errors><RequestID>proxy-00000000</RequestID></Response>`
  );
}

/** What EC2 answers to a TerminateInstances it accepted (for `swallow`). */
function terminateAcceptedXml(params) {
  const ids = [...params].filter(([name]) => name.startsWith('InstanceId.')).map(([, value]) => value);
  const items = ids
    .map(
      (id) =>
        `<item><instanceId>${id}</instanceId><currentState><code>32</code><name>shutting-down</name></currentState>` +
        `<previousState><code>16</code><name>running</name></previousState></item>`,
    )
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<TerminateInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>proxy</requestId><instancesSet>${items}</instancesSet></TerminateInstancesResponse>`;
}

module.exports = { startEc2Proxy, terminateAcceptedXml, ec2ErrorXml };
