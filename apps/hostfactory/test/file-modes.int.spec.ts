// What the plugin leaves in the work and log dirs, through the real scripts under umask 022: the
// SQLite database (with its -wal and -shm files) and the logs are owner-only, and the template's
// user data (a script, often with secrets) is nowhere in the work dir.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hf, motoEndpoint } from './hf';

const Database = require('better-sqlite3');

describe('files the plugin writes', () => {
  it('are owner-only whatever the umask, and hold no user data in clear', async () => {
    const endpoint = motoEndpoint();
    const network = await hf.createNetwork(endpoint);
    const environment = hf.hfEnvironment({ root: mkdtempSync(join(tmpdir(), 'hf modes ')), endpoint });
    const secret = `s3cr3t-${Date.now()}`;
    hf.writeProviderFiles(environment.confDir, {
      config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: endpoint },
      templates: [hf.ondemandTemplate(network, { userData: `#!/bin/sh\nexport JOIN_TOKEN=${secret}\n` })],
    });
    const input = join(mkdtempSync(join(tmpdir(), 'hf_in_')), 'in.json');
    writeFileSync(input, JSON.stringify({ template: { templateId: 'OnDemand-Small', machineCount: 1 } }));
    // As HF runs it, under the umask most systems have.
    const made = spawnSync('bash', ['-c', `umask 022 && exec "${join(hf.SCRIPTS_DIR, 'requestMachines.sh')}" -f "${input}"`], {
      env: environment.env,
      encoding: 'utf8',
    });
    expect(made.status).toBe(0);

    const db = join(environment.workDir, 'awsinst.db');
    // The -wal and -shm files exist while a connection is open (the last one to close removes
    // them): open one as a concurrent call would, and look at them then.
    const connection = new Database(db);
    connection.prepare('SELECT count(*) FROM requests').get();
    const files = readdirSync(environment.workDir).map((name) => join(environment.workDir, name));
    const logs = readdirSync(environment.logDir).map((name) => join(environment.logDir, name));
    expect(files.map((f) => f.slice(environment.workDir.length + 1)).sort()).toEqual([
      'awsinst.db',
      'awsinst.db-shm',
      'awsinst.db-wal',
      'awsinst.prom',
      'awsinst.prom.state.json',
    ]);
    expect(logs.length).toBeGreaterThan(0);
    // The metrics text alone is readable by others (node_exporter runs as its own user); it holds counts and names only.
    const modeOf = (file: string) => (file.endsWith('.prom') ? '644' : '600');
    for (const file of [...files, ...logs]) expect({ file, mode: (statSync(file).mode & 0o777).toString(8) }).toEqual({ file, mode: modeOf(file) });
    for (const file of files) expect(readFileSync(file).includes(secret)).toBe(false);
    connection.close();
  });
});
