import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CREDENTIAL_SCRIPT_CACHE_FILE, credentialScriptProvider, parseCredentials } from './credential-script';

const INI = '[default]\naws_access_key_id = AKIDSCRIPT\naws_secret_access_key = secret/key+1\naws_session_token = token==\n';

describe('parseCredentials', () => {
  it('reads the [default] profile of a credentials file, as IBM does', () => {
    expect(parseCredentials(`# made by sts\n[other]\naws_access_key_id = NO\n${INI}`)).toEqual({
      accessKeyId: 'AKIDSCRIPT',
      secretAccessKey: 'secret/key+1',
      sessionToken: 'token==',
    });
  });

  it('reads credential_process JSON, with its expiration', () => {
    expect(parseCredentials('{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":"T","Expiration":"2030-01-01T00:00:00Z"}')).toEqual({
      accessKeyId: 'A',
      secretAccessKey: 'S',
      sessionToken: 'T',
      expiration: new Date('2030-01-01T00:00:00Z'),
    });
  });

  it.each([
    [''],
    ['[default]\naws_access_key_id = A\n'],
    ['{"AccessKeyId": "A"}'],
    ['{not json'],
    ['[prod]\naws_access_key_id=A\naws_secret_access_key=S'],
  ])('finds no credentials in %p', (output) => {
    expect(parseCredentials(output)).toBeUndefined();
  });
});

describe('credentialScriptProvider (a real script)', () => {
  let dir: string;
  let script: string;
  let runs: string;
  const writeScript = (body: string): void => {
    writeFileSync(script, `#!/bin/sh\necho run >> '${runs}'\n${body}\n`);
    chmodSync(script, 0o755);
  };
  const runCount = (): number => {
    try {
      return readFileSync(runs, 'utf8').split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hf cred '));
    script = join(dir, 'creds.sh');
    runs = join(dir, 'runs.log');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the script once, keeps its output owner-only, and reuses it until the renew margin passes', async () => {
    writeScript(`cat <<'X'\n${INI}X`);
    let now = Date.now();
    const call = () => credentialScriptProvider({ script, renewMarginSec: 600, workDir: dir, now: () => now })();
    expect(await call()).toMatchObject({ accessKeyId: 'AKIDSCRIPT', sessionToken: 'token==' });
    expect(runCount()).toBe(1);
    const kept = join(dir, CREDENTIAL_SCRIPT_CACHE_FILE);
    expect(statSync(kept).mode & 0o777).toBe(0o600);
    await call(); // a later HF call within the margin: no run
    expect(runCount()).toBe(1);
    now += 601_000;
    await call();
    expect(runCount()).toBe(2);
  });

  it('one process asks once however many clients ask', async () => {
    writeScript(`cat <<'X'\n${INI}X`);
    const provider = credentialScriptProvider({ script, renewMarginSec: 0, workDir: dir });
    await Promise.all([provider(), provider(), provider()]);
    expect(runCount()).toBe(1);
  });

  it('runs again when the kept credentials have expired, whatever the margin', async () => {
    writeScript(`echo '{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"2001-01-01T00:00:00Z"}'`);
    await credentialScriptProvider({ script, renewMarginSec: 3600, workDir: dir })();
    await credentialScriptProvider({ script, renewMarginSec: 3600, workDir: dir })();
    expect(runCount()).toBe(2);
  });

  it('a failing script is AUTH_ERROR naming AWS_CREDENTIAL_SCRIPT with its last stderr line; nothing is kept; a later call tries again', async () => {
    writeScript(`echo 'sts: AccessDenied for role hf' >&2\nexit 3`);
    const provider = credentialScriptProvider({ script, renewMarginSec: 600, workDir: dir });
    await expect(provider()).rejects.toMatchObject({
      code: 'AUTH_ERROR',
      message: `AWS_CREDENTIAL_SCRIPT '${script}' exited with status 3: sts: AccessDenied for role hf`,
      details: { key: 'AWS_CREDENTIAL_SCRIPT' },
    });
    expect(() => statSync(join(dir, CREDENTIAL_SCRIPT_CACHE_FILE))).toThrow();
    await expect(provider()).rejects.toMatchObject({ code: 'AUTH_ERROR' });
    expect(runCount()).toBe(2);
  });

  it('a script that prints no credentials is AUTH_ERROR saying what was expected', async () => {
    writeScript('echo hello');
    await expect(credentialScriptProvider({ script, renewMarginSec: 600, workDir: dir })()).rejects.toMatchObject({
      code: 'AUTH_ERROR',
      message: expect.stringContaining('printed no credentials: expected an AWS credentials file with a [default] profile'),
    });
  });
});
