'use strict';
// A whole Host Factory lifecycle through the real scripts, printing every call and answer:
// templates -> request 3 -> poll until complete -> return them -> poll until complete ->
// an instance terminated behind the plugin's back shows up in getReturnRequests.
//
//   node tools/hf/simulator.js --endpoint http://127.0.0.1:PORT [--root DIR] [--keep]
//
// With no --endpoint (and no AWS_ENDPOINT_URL) it starts a moto_server on loopback itself, and
// stops it at the end. The HF directories go to a temp dir that is removed at the end, unless
// --keep (or --root DIR, which is the caller's) says to leave them for a look.
// It never talks to real AWS unless you pass a real endpoint on purpose.

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { hfEnvironment, writeProviderFiles, createNetwork, terminateOutsidePlugin, runScript, ondemandTemplate } = require('./hf-environment');

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--endpoint') args.endpoint = argv[++i];
    else if (argv[i] === '--root') args.root = argv[++i];
    else if (argv[i] === '--quiet') args.quiet = true;
    else if (argv[i] === '--keep') args.keep = true;
  }
  return args;
}

async function lifecycle({ endpoint, root, print = () => {} }) {
  const network = await createNetwork(endpoint);
  const hf = hfEnvironment({ root, endpoint });
  writeProviderFiles(hf.confDir, {
    config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: endpoint, AWS_INSTANCE_PENDING_TIMEOUT_SEC: 180 },
    templates: [ondemandTemplate(network)],
  });

  const steps = [];
  const call = async (script, input) => {
    const result = await runScript(script, input, hf.env);
    steps.push({ script, input, ...result });
    print(`\n$ ${script}.sh -f <file>   # input: ${JSON.stringify(input)}   (exit ${result.status}, ${result.ms} ms)\n${result.stdout.trim()}`);
    if (result.status !== 0 || !result.json) {
      throw new Error(`${script} failed (exit ${result.status}): ${result.stdout}${result.stderr}`);
    }
    return result.json;
  };
  const pollUntilDone = async (requestId, limit = 30) => {
    for (let i = 0; i < limit; i++) {
      const answer = await call('getRequestStatus', { requests: [{ requestId }] });
      const request = answer.requests[0];
      if (request.status !== 'running') return request;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`${requestId} still running after ${limit} polls`);
  };

  const templates = await call('getAvailableTemplates', {});
  const acquire = await call('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 3 } });
  const acquired = await pollUntilDone(acquire.requestId);
  const machines = acquired.machines.map((m) => ({ name: m.name, machineId: m.machineId }));
  const giveBack = await call('requestReturnMachines', { machines });
  const returned = await pollUntilDone(giveBack.requestId);

  const second = await call('requestMachines', { template: { templateId: 'OnDemand-Small', machineCount: 1 } });
  const secondDone = await pollUntilDone(second.requestId);
  const victim = secondDone.machines[0];
  print(`\n# terminating ${victim.machineId} behind the plugin's back (as a console user would)`);
  await terminateOutsidePlugin(endpoint, victim.machineId);
  const reclaims = await call('getReturnRequests', { machines: [{ name: victim.name, machineId: victim.machineId }] });
  return { hf, templates, acquire, acquired, giveBack, returned, second, secondDone, victim, reclaims, steps };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const print = args.quiet ? () => {} : (text) => process.stdout.write(`${text}\n`);
  let moto;
  let endpoint = args.endpoint || process.env.AWS_ENDPOINT_URL;
  if (!endpoint) {
    const { startMotoServer } = require('../moto/moto-server');
    moto = await startMotoServer();
    endpoint = moto.endpoint;
    print(`# started moto_server (local AWS emulator) at ${endpoint}`);
  }
  const root = args.root || fs.mkdtempSync(path.join(os.tmpdir(), 'open-hostfactory-demo-'));
  print(`# HF directories under ${root} (SQLite state in work/providers/awsinst/, logs in log/)`);
  try {
    const result = await lifecycle({ endpoint, root, print });
    const ids = result.acquired.machines.map((m) => m.machineId).join(', ');
    print(
      `\n# done: ${result.acquired.machines.length} machines acquired (${ids}), returned (${result.returned.status}); ` +
        `reclaim seen for ${result.reclaims.requests.map((r) => r.machineId).join(', ') || 'nothing'}`,
    );
  } finally {
    if (moto) await moto.stop();
    if (!args.root && !args.keep) {
      fs.rmSync(root, { recursive: true, force: true });
      print(`# removed ${root} (run with --keep to look at the state and logs)`);
    }
  }
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`demo failed: ${error.stack || error}\n`);
    process.exit(1);
  });
}

module.exports = { lifecycle };
