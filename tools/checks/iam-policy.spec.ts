// config/iam-policy.json must allow every AWS action the adapters and the app call: each
// `new XCommand(` in their sources is an action of the service whose SDK exports XCommand.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

const SERVICES: readonly [string, string][] = [
  ['ec2', '@aws-sdk/client-ec2'],
  ['autoscaling', '@aws-sdk/client-auto-scaling'],
  ['ssm', '@aws-sdk/client-ssm'],
  ['sqs', '@aws-sdk/client-sqs'],
  ['dynamodb', '@aws-sdk/client-dynamodb'],
  ['sts', '@aws-sdk/client-sts'],
];

/** API calls IAM authorises under another action's name. */
const IAM_ACTION: Readonly<Record<string, string>> = {
  'sqs:DeleteMessageBatch': 'sqs:DeleteMessage',
  // DynamoDB authorises a transaction by the item actions it holds (only Puts here).
  'dynamodb:TransactWriteItems': 'dynamodb:PutItem',
};

/** Actions every identity may call: no policy statement needed (health's credentials check). */
const ALWAYS_ALLOWED: ReadonlySet<string> = new Set(['sts:GetCallerIdentity']);

function sourcesUnder(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...sourcesUnder(path));
    else if (entry.endsWith('.ts') && !entry.includes('.spec.')) files.push(path);
  }
  return files;
}

/** The AWS adapters' sources and the app's (the operator's health and template check call AWS too). */
function adapterSources(): string[] {
  const dirs = readdirSync(join(root, 'packages'))
    .filter((name) => name.startsWith('aws-') || name === 'storage-dynamodb')
    .map((name) => join(root, 'packages', name, 'src'));
  return [...dirs, join(root, 'apps', 'hostfactory', 'src')].flatMap(sourcesUnder);
}

function actionsCalled(): Set<string> {
  const sdks = SERVICES.map(([prefix, pkg]) => [prefix, require(pkg) as Record<string, unknown>] as const);
  const actions = new Set<string>();
  for (const file of adapterSources()) {
    for (const match of readFileSync(file, 'utf8').matchAll(/new (\w+)Command\(/g)) {
      const command = `${match[1]}Command`;
      const service = sdks.find(([, sdk]) => typeof sdk[command] === 'function');
      if (!service) throw new Error(`${file}: ${command} is not a command of a known SDK`);
      const action = `${service[0]}:${match[1]}`;
      if (!ALWAYS_ALLOWED.has(action)) actions.add(IAM_ACTION[action] ?? action);
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
