import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsCredentials } from '@open-hostfactory/aws-common';
import { HostFactoryError } from '@open-hostfactory/core';
import { replaceFile } from './replace-file';

/** IBM's default AWS_CREDENTIAL_RENEW_MARGIN: the script runs again once its output is this many seconds old. */
export const DEFAULT_CREDENTIAL_RENEW_MARGIN_SEC = 1770;
/** Where the script's last output is kept in the provider's work dir (mode 0600, as IBM's provider keeps it). */
export const CREDENTIAL_SCRIPT_CACHE_FILE = 'aws-credential-script.credentials';
/** How long the script may run. */
const SCRIPT_TIMEOUT_MS = 60_000;

export interface CredentialScriptOptions {
  /** AWS_CREDENTIAL_SCRIPT: the program to run (no arguments); its stdout holds the credentials. */
  readonly script: string;
  /** AWS_CREDENTIAL_RENEW_MARGIN, seconds: how old its kept output may be before it runs again. */
  readonly renewMarginSec: number;
  /** The provider's work dir, where the output is kept between calls. */
  readonly workDir: string;
  readonly now?: () => number;
}

/**
 * IBM's AWS_CREDENTIAL_SCRIPT as an SDK credential provider: the script's stdout is kept in the
 * work dir (mode 0600, replaced atomically) and read by every call until it is
 * AWS_CREDENTIAL_RENEW_MARGIN seconds old; then the script runs again. The output is an AWS
 * credentials file whose `[default]` profile holds `aws_access_key_id`, `aws_secret_access_key`
 * and, for temporary credentials, `aws_session_token` (what IBM's provider reads), or the JSON a
 * `credential_process` prints (`AccessKeyId`, `SecretAccessKey`, `SessionToken`, `Expiration`).
 * A script that fails, times out or prints neither is AUTH_ERROR naming AWS_CREDENTIAL_SCRIPT.
 * One run per process at most for a fresh output.
 */
export function credentialScriptProvider(options: CredentialScriptOptions): () => Promise<AwsCredentials> {
  const now = options.now ?? Date.now;
  const cache = join(options.workDir, CREDENTIAL_SCRIPT_CACHE_FILE);
  let pending: Promise<AwsCredentials> | undefined;
  const load = async (): Promise<AwsCredentials> => {
    const kept = keptOutput(cache, options.renewMarginSec, now());
    if (kept !== undefined) {
      const credentials = parseCredentials(kept);
      if (credentials && !expired(credentials, now())) return credentials;
    }
    const output = await runScript(options.script);
    const credentials = parseCredentials(output);
    if (!credentials) {
      throw scriptError(
        options.script,
        'printed no credentials: expected an AWS credentials file with a [default] profile (aws_access_key_id, aws_secret_access_key, aws_session_token) or credential_process JSON',
      );
    }
    replaceFile(cache, output, 0o600);
    return credentials;
  };
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/** The kept output when it is younger than the margin. */
function keptOutput(path: string, marginSec: number, now: number): string | undefined {
  try {
    if (statSync(path).mtimeMs + marginSec * 1000 <= now) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function expired(credentials: AwsCredentials, now: number): boolean {
  return credentials.expiration !== undefined && credentials.expiration.getTime() <= now;
}

/** The credentials in a script's output (credential_process JSON, or the `[default]` profile of a credentials file); undefined when it holds none. */
export function parseCredentials(output: string): AwsCredentials | undefined {
  const text = output.trim();
  if (text.startsWith('{')) {
    let document: Record<string, unknown>;
    try {
      document = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return undefined;
    }
    const { AccessKeyId: id, SecretAccessKey: secret, SessionToken: token, Expiration: expiration } = document;
    if (typeof id !== 'string' || typeof secret !== 'string' || id === '' || secret === '') return undefined;
    const expires = typeof expiration === 'string' ? new Date(expiration) : undefined;
    return {
      accessKeyId: id,
      secretAccessKey: secret,
      ...(typeof token === 'string' && token !== '' ? { sessionToken: token } : {}),
      ...(expires && !Number.isNaN(expires.getTime()) ? { expiration: expires } : {}),
    };
  }
  const profile: Record<string, string> = {};
  let section: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (header) {
      section = header[1];
      continue;
    }
    const pair = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (pair && section === 'default') profile[(pair[1] as string).toLowerCase()] = pair[2] as string;
  }
  const id = profile['aws_access_key_id'];
  const secret = profile['aws_secret_access_key'];
  if (!id || !secret) return undefined;
  const token = profile['aws_session_token'] ?? profile['aws_security_token'];
  return { accessKeyId: id, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) };
}

async function runScript(script: string): Promise<string> {
  // Imported here: child_process (with net, dgram and streams) costs every call's start-up otherwise.
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    execFile(script, [], { timeout: SCRIPT_TIMEOUT_MS, maxBuffer: 1024 * 1024, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (!error) {
        resolve(stdout);
        return;
      }
      const failure = error as NodeJS.ErrnoException & { killed?: boolean; code?: number | string };
      const said = stderr.trim().split('\n').pop()?.slice(0, 300) ?? '';
      const how = failure.killed
        ? `did not finish within ${SCRIPT_TIMEOUT_MS / 1000} s`
        : typeof failure.code === 'number'
          ? `exited with status ${failure.code}`
          : `could not be run (${String(failure.code ?? failure.message)})`;
      reject(scriptError(script, `${how}${said ? `: ${said}` : ''}`));
    });
  });
}

function scriptError(script: string, what: string): HostFactoryError {
  return new HostFactoryError('AUTH_ERROR', `AWS_CREDENTIAL_SCRIPT '${script}' ${what}`, { details: { key: 'AWS_CREDENTIAL_SCRIPT', script } });
}
