/** `promtool check metrics` over a metrics text. */
export function promtoolCheck(text: string): { ok: boolean; output: string };

export interface Pushgateway {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** The gateway's own `/metrics` page: everything pushed to it. */
  metrics(): Promise<string>;
  /** Stops it by its PID. Idempotent. */
  stop(): Promise<void>;
}

/** Starts Debian's prometheus-pushgateway on a free loopback port. */
export function startPushgateway(): Promise<Pushgateway>;
