export interface SerializingProxy {
  readonly endpoint: string;
  /** Requests forwarded so far. */
  readonly forwarded: () => number;
  close(): Promise<void>;
}
export function startSerializingProxy(target: string): Promise<SerializingProxy>;
