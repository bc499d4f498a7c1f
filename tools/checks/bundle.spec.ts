// What a call loads is what it costs (HF starts a process per call): the bundle is built into a
// temp directory and its metafile read. A call that answers from the store never loads the AWS
// SDK or the YAML parser; a call that reaches EC2 loads neither SSM nor SQS; the SDK's schemas are
// tree-shaken (tools/build-app.mjs `pureSdkSchemas`); YAML still parses, from dist/yaml.cjs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface Output {
  readonly bytes: number;
  readonly imports: readonly { path: string; kind: string }[];
  readonly inputs: Readonly<Record<string, { bytesInOutput: number }>>;
}

describe('the bundle', () => {
  let outdir: string;
  let outputs: Record<string, Output>;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'ohf-bundle-'));
    const script = `import(${JSON.stringify(join(ROOT, 'tools/build-app.mjs'))}).then((m) => m.buildApp({ quiet: true, outdir: ${JSON.stringify(outdir)} }))`;
    execFileSync(process.execPath, ['-e', script], { cwd: ROOT, stdio: 'pipe', timeout: 120_000 });
    outputs = (JSON.parse(readFileSync(join(outdir, 'meta.json'), 'utf8')) as { outputs: Record<string, Output> }).outputs;
  }, 180_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const outputOf = (input: string): string => {
    const found = Object.entries(outputs).find(
      ([file, output]) => file.endsWith('.mjs') && Object.keys(output.inputs).some((name) => name.endsWith(input)),
    );
    if (!found) throw new Error(`no output holds ${input}`);
    return found[0];
  };
  /** The outputs a chunk loads before it runs (its static imports, followed). */
  const staticGraph = (start: string): Set<string> => {
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file) || !outputs[file]) return;
      seen.add(file);
      for (const edge of outputs[file].imports) if (edge.kind === 'import-statement') visit(edge.path);
    };
    visit(start);
    return seen;
  };
  const inputsOf = (files: Iterable<string>): string[] => [...files].flatMap((file) => Object.keys(outputs[file]?.inputs ?? {}));

  it('the entry and what it loads statically hold no AWS SDK and no YAML parser', () => {
    const entry = Object.keys(outputs).find((file) => file.endsWith('/main.mjs'));
    const loaded = inputsOf(staticGraph(entry as string));
    expect(loaded.some((name) => name.includes('packages/core/src/'))).toBe(true);
    expect(loaded.filter((name) => name.includes('@aws-sdk/') || name.includes('node_modules/yaml/'))).toEqual([]);
  });

  it('the EC2 adapters load neither SSM nor SQS, and only the EC2 schemas their commands reach', () => {
    const ec2 = outputOf('packages/aws-ec2/src/ec2-instances.ts');
    const loaded = inputsOf(staticGraph(ec2));
    expect(loaded.filter((name) => /@aws-sdk\/client-(ssm|sqs)\//.test(name))).toEqual([]);
    const schemas = Object.entries(outputs[ec2]?.inputs ?? {}).find(([name]) => name.endsWith('client-ec2/dist-es/schemas/schemas_0.js'));
    expect(schemas).toBeDefined();
    const source = statSync(join(ROOT, schemas![0])).size;
    expect(schemas![1].bytesInOutput).toBeLessThan(source / 4);
  });

  it('SSM and SQS are chunks of their own, loaded on use', () => {
    for (const input of ['packages/aws-ec2/src/ssm-client.ts', 'packages/aws-ec2/src/sqs-client.ts']) {
      const chunk = outputOf(input);
      const importers = Object.entries(outputs).filter(([, output]) => output.imports.some((edge) => edge.path === chunk));
      expect(importers.length).toBeGreaterThan(0);
      expect(
        importers.every(([, output]) => output.imports.filter((edge) => edge.path === chunk).every((edge) => edge.kind === 'dynamic-import')),
      ).toBe(true);
    }
  });

  it('dist/yaml.cjs parses YAML', () => {
    const yaml = require(join(outdir, 'yaml.cjs')) as { parse(text: string): unknown };
    expect(yaml.parse('templates:\n  - templateId: A\n')).toEqual({ templates: [{ templateId: 'A' }] });
  });
});
