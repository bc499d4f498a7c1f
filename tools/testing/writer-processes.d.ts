export interface WriterOutcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}
export function bundleWriter(entry: string, external?: string[]): { dir: string; script: string };
export function runWriter(script: string, args: object): Promise<WriterOutcome>;
