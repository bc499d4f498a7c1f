// The README's demo (`npm run demo` runs tools/hf/simulator.js): a whole lifecycle against
// moto_server that leaves nothing behind, unless asked to keep its HF directories.
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { motoEndpoint } from './hf';

const SIMULATOR = join(__dirname, '..', '..', '..', 'tools', 'hf', 'simulator.js');

function demo(args: string[]): Promise<{ status: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SIMULATOR, '--endpoint', motoEndpoint(), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout }));
  });
}

const rootOf = (stdout: string): string => (/^# HF directories under (.+?) \(/m.exec(stdout) as RegExpExecArray)[1] as string;

describe('the demo', () => {
  it('runs the lifecycle and removes its HF directories', async () => {
    const result = await demo([]);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('# done: 3 machines acquired');
    const root = rootOf(result.stdout);
    expect(result.stdout).toContain(`# removed ${root}`);
    expect(existsSync(root)).toBe(false);
  });

  it('--keep leaves them for a look', async () => {
    const result = await demo(['--keep']);
    expect(result.status).toBe(0);
    const root = rootOf(result.stdout);
    expect(existsSync(join(root, 'work', 'providers', 'awsinst', 'awsinst.db'))).toBe(true);
    rmSync(root, { recursive: true, force: true });
  });
});
