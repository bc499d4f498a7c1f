// config/iam-policy.json must allow every AWS action the adapters call: each `new XCommand(`
// in an adapter's sources is an action of the service whose SDK exports XCommand.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

const SERVICES: readonly [string, string][] = [
  ['ec2', '@aws-sdk/client-ec2'],
  ['autoscaling', '@aws-sdk/client-auto-scaling'],
  ['ssm', '@aws-sdk/client-ssm'],
  ['sqs', '@aws-sdk/client-sqs'],
  ['dynamodb', '@aws-sdk/client-dynamodb'],
];

/** API calls IAM authorises under another action's name. */
const IAM_ACTION: Readonly<Record<string, string>> = {
  'sqs:DeleteMessageBatch': 'sqs:DeleteMessage',
  // DynamoDB authorises a transaction by the item actions it holds (only Puts here).
  'dynamodb:TransactWriteItems': 'dynamodb:PutItem',
};

function adapterSources(): string[] {
  const files: string[] = [];
  for (const name of readdirSync(join(root, 'packages'))) {
    if (!name.startsWith('aws-') && name !== 'storage-dynamodb') continue;
    const dir = join(root, 'packages', name, 'src');
    for (const file of readdirSync(dir)) {
      if (file.endsWith('.ts') && !file.includes('.spec.')) files.push(join(dir, file));
    }
  }
  return files;
}

function actionsCalled(): Set<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdks = SERVICES.map(([prefix, pkg]) => [prefix, require(pkg) as Record<string, unknown>] as const);
  const actions = new Set<string>();
  for (const file of adapterSources()) {
    for (const match of readFileSync(file, 'utf8').matchAll(/new (\w+)Command\(/g)) {
      const command = `${match[1]}Command`;
      const service = sdks.find(([, sdk]) => typeof sdk[command] === 'function');
      if (!service) throw new Error(`${file}: ${command} is not a command of a known SDK`);
      const action = `${service[0]}:${match[1]}`;
      actions.add(IAM_ACTION[action] ?? action);
    }
  }
  return actions;
}

describe('config/iam-policy.json', () => {
  const policy = JSON.parse(readFileSync(join(root, 'config', 'iam-policy.json'), 'utf8')) as {
    Statement: { Effect: string; Action: string | string[] }[];
  };
  const allowed = new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat()));

  it('allows every action the adapters call', () => {
    const called = actionsCalled();
    expect(called.size).toBeGreaterThan(20);
    expect([...called].filter((action) => !allowed.has(action)).sort()).toEqual([]);
  });

  it('allows nothing the adapters never call (least privilege), but the role plumbing', () => {
    const called = actionsCalled();
    const extra = [...allowed].filter((action) => !called.has(action) && !action.startsWith('iam:'));
    expect(extra.sort()).toEqual([]);
  });
});
