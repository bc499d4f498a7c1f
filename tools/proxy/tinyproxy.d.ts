export interface Tinyproxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Every request tinyproxy forwarded, from its log: `GET http://127.0.0.1:1234/` or `CONNECT host:443`. */
  requests(): string[];
  /** Stops it by its PID (SIGTERM, then SIGKILL after 3 s). Idempotent. */
  stop(): Promise<void>;
}

/** Starts tinyproxy on a free loopback port; throws when it is not installed. */
export function startTinyproxy(): Promise<Tinyproxy>;
export function findTinyproxy(): string | undefined;
