export interface Ec2Proxy {
  /** `http://127.0.0.1:<port>`: point AWS_ENDPOINT_URL here. */
  readonly endpoint: string;
  /** Requests seen per Query action (`RunInstances`). */
  count(action: string): number;
  /** Requests seen (any service), and how many came through a forward proxy (a `Via` header). */
  requests(): { total: number; via: number };
  /** Capacity launched per `hf:request-id` (token replays not counted). */
  launched(): Map<string, number>;
  ledger(): Map<string, { units: number; calls: { action: string; units: number }[] }>;
  /** Client TCP connections: `total` accepted, `maxOpen` open at the same time. */
  connections(): { total: number; maxOpen: number };
  /** How long to hold the answer of each request: ms, or until a promise settles. */
  setHold(hold: (action: string, params: URLSearchParams) => number | Promise<unknown>): void;
  /** Answers `action` with EC2's error XML until cleared. */
  fail(action: string, code: string, message?: string, status?: number): void;
  /** Answers `action` with `body(params)` without forwarding it, until cleared. */
  swallow(action: string, body: (params: URLSearchParams) => string): void;
  /** Edits moto's successful answers to `action` with `edit(xml, params)` until cleared. */
  amend(action: string, edit: (xml: string, params: URLSearchParams) => string): void;
  /** Clears `action`'s fault, refusals and amendment. */
  clear(action: string): void;
  /** Answers the `action` calls `when` matches with EC2's error XML (one pool's capacity refusal), until cleared. */
  refuse(action: string, when: (params: URLSearchParams) => boolean, code: string, message?: string, status?: number): void;
  /** The parameters of every `action` call seen, in order. */
  sent(action: string): URLSearchParams[];
  /** Every request answered so far, in order: its action (or JSON target) and how long its answer took, in ms. */
  journal(): { action: string; ms: number }[];
  /** Waits until every request in flight is answered. */
  drain(): Promise<void>;
  close(): Promise<void>;
}
export function startEc2Proxy(
  target: string,
  options?: { hold?: (action: string, params: URLSearchParams) => number | Promise<unknown> },
): Promise<Ec2Proxy>;
export function terminateAcceptedXml(params: URLSearchParams): string;
export function ec2ErrorXml(code: string, message: string): string;
