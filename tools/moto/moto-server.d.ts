export interface MotoServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  /** Kills moto_server (SIGTERM, then SIGKILL after 3 s). Idempotent. */
  stop(): Promise<void>;
  /** `POST /moto-api/reset`: forgets every resource. */
  reset(): Promise<void>;
}

/** Starts moto_server on a free loopback port; throws when `moto_server` is not on PATH. */
export function startMotoServer(options?: { host?: string }): Promise<MotoServer>;

/** Full path of `moto_server` on PATH, or undefined. */
export function findMotoServer(): string | undefined;
