// IBM's AWS_CREDENTIAL_SCRIPT through the real scripts on moto_server: the credentials of every
// AWS call come from the script's output (not from the environment's), the script runs once per
// AWS_CREDENTIAL_RENEW_MARGIN, and a failing script fails the call with a JSON error naming it.
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hf, installation, motoEndpoint, runOk, untilComplete, type HfEnvironment } from './hf';

/** One IAM query call to moto_server (no IAM client in the repo; moto reads the service from the credential scope). */
async function iam(action: string, params: Record<string, string>): Promise<string> {
  const body = new URLSearchParams({ Action: action, Version: '2010-05-08', ...params }).toString();
  const response = await fetch(motoEndpoint(), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
    },
    body,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`IAM ${action}: ${response.status} ${text}`);
  return text;
}

function operator(args: string[], env: Record<string, string>): { status: number | null; json: any } {
  const result = spawnSync(join(hf.SCRIPTS_DIR, 'hostfactory.sh'), args, { env, encoding: 'utf8', timeout: 60_000 });
  return { status: result.status, json: JSON.parse(result.stdout) };
}

describe('AWS_CREDENTIAL_SCRIPT through the scripts', () => {
  let environment: HfEnvironment;
  let script: string;
  let runs: string;
  let keys: { id: string; secret: string };

  const configure = (config: Record<string, unknown>): void => {
    const templates = JSON.parse(readFileSync(join(environment.confDir, 'awsprov_templates.json'), 'utf8'));
    hf.writeProviderFiles(environment.confDir, {
      config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: motoEndpoint(), ...config },
      templates: templates.templates,
    });
  };
  const runCount = (): number => readFileSync(runs, 'utf8').split('\n').filter(Boolean).length;

  beforeAll(async () => {
    environment = await installation();
    await iam('CreateUser', { UserName: 'hf-federated' });
    const made = await iam('CreateAccessKey', { UserName: 'hf-federated' });
    keys = {
      id: /<AccessKeyId>([^<]+)<\/AccessKeyId>/.exec(made)![1]!,
      secret: /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(made)![1]!,
    };
    script = join(environment.confDir, 'federated credentials.sh');
    runs = join(environment.confDir, 'script-runs.log');
    writeFileSync(
      script,
      `#!/bin/sh\necho run >> '${runs}'\nprintf '[default]\\naws_access_key_id = %s\\naws_secret_access_key = %s\\naws_session_token = hf-token\\n' '${keys.id}' '${keys.secret}'\n`,
    );
    chmodSync(script, 0o755);
    writeFileSync(runs, '');
  });

  it("every AWS call uses the script's credentials, over the environment's; the script runs once within the margin", async () => {
    // Relative to the file that names it, as IBM's other paths.
    configure({ AWS_CREDENTIAL_SCRIPT: './federated credentials.sh', AWS_CREDENTIAL_RENEW_MARGIN: 600 });
    // The environment holds other keys (the tests' "testing"): the script's win.
    const health = operator(['health', '--json'], environment.env);
    expect(health.status).toBe(0);
    expect(health.json.checks.find((c: { name: string }) => c.name === 'credentials').message).toContain('user/hf-federated');

    const made = await runOk('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 1 } }, environment.env);
    const done = await untilComplete(made.requestId, environment.env);
    await runOk('requestReturnMachines', { machines: [{ machineId: done.machines[0].machineId, name: done.machines[0].name }] }, environment.env);
    expect(runCount()).toBe(1);
    const kept = statSync(join(environment.workDir, 'aws-credential-script.credentials'));
    expect(kept.mode & 0o777).toBe(0o600);
  });

  it('runs the script again at every call with AWS_CREDENTIAL_RENEW_MARGIN 0', async () => {
    configure({ AWS_CREDENTIAL_SCRIPT: script, AWS_CREDENTIAL_RENEW_MARGIN: 0 });
    const before = runCount();
    await runOk('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 1 } }, environment.env);
    operator(['health', '--json'], environment.env);
    expect(runCount()).toBe(before + 2);
  });

  it('a failing script fails the call with AUTH_ERROR naming AWS_CREDENTIAL_SCRIPT, exit non-zero; a missing one is CONFIG_INVALID', async () => {
    const failing = join(environment.confDir, 'failing.sh');
    writeFileSync(failing, "#!/bin/sh\necho 'no federation today' >&2\nexit 2\n");
    chmodSync(failing, 0o755);
    configure({ AWS_CREDENTIAL_SCRIPT: failing, AWS_CREDENTIAL_RENEW_MARGIN: 0 });
    const answer = await hf.runScript('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 1 } }, environment.env);
    expect(answer.status).not.toBe(0);
    expect(answer.json.error.code).toBe('AUTH_ERROR');
    expect(answer.json.message).toContain(`AWS_CREDENTIAL_SCRIPT '${failing}' exited with status 2: no federation today`);

    configure({ AWS_CREDENTIAL_SCRIPT: './nowhere.sh' });
    const missing = await hf.runScript('getAvailableTemplates', {}, environment.env);
    expect(missing.status).not.toBe(0);
    expect(missing.json.error.code).toBe('CONFIG_INVALID');
    expect(missing.json.message).toContain('AWS_CREDENTIAL_SCRIPT');
  });
});
