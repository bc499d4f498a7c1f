'use strict';
// Plays Host Factory's part: lays out HF's directories and environment for one provider
// instance, writes input files as HF does (a temp file, tab-indented JSON) and runs the real
// scripts as `<script>.sh -f <file>`. Used by the end-to-end tests and by the demo.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const SCRIPTS_DIR = path.join(ROOT, 'apps', 'hostfactory', 'scripts');

/**
 * Creates HF_TOP-like folders under `root` (conf, work, log) for provider instance `name` and
 * returns the environment HF would give the scripts. `endpoint` is the AWS endpoint (moto).
 */
function hfEnvironment({ root, providerName = 'awsinst', endpoint, region = 'us-east-1', extraEnv = {} }) {
  const confDir = path.join(root, 'conf');
  const workDir = path.join(root, 'work');
  const logDir = path.join(root, 'log');
  const providerConf = path.join(confDir, 'providers', providerName);
  const providerWork = path.join(workDir, 'providers', providerName);
  for (const dir of [providerConf, providerWork, logDir]) fs.mkdirSync(dir, { recursive: true });
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME || os.homedir(),
    HF_TOP: root,
    HF_VERSION: '1.1',
    HF_CONFDIR: confDir,
    HF_WORKDIR: workDir,
    HF_LOGDIR: logDir,
    HF_PROVIDER_NAME: providerName,
    HF_PROVIDER_CONFDIR: providerConf + path.sep,
    HF_PROVIDER_WORKDIR: providerWork + path.sep,
    HF_PROVIDER_LOGDIR: logDir + path.sep,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extraEnv,
  };
  if (endpoint) env.AWS_ENDPOINT_URL = endpoint;
  if (region) env.AWS_REGION = region;
  return { env, confDir: providerConf, workDir: providerWork, logDir };
}

/** moto's default images include this Amazon AMI. */
const MOTO_AMI = 'ami-12c6146b';

/**
 * An IBM-format RunInstances template on the given network: t3.medium without ncpus/nram, so
 * they are derived from DescribeInstanceTypes. `overrides` replaces any field.
 */
function ondemandTemplate(network, overrides = {}) {
  return {
    templateId: 'OnDemand-Small',
    maxNumber: 10,
    attributes: { type: ['String', 'X86_64'] },
    imageId: MOTO_AMI,
    subnetId: network.subnetIds,
    vmType: 't3.medium',
    priceType: 'ondemand',
    securityGroupIds: [network.securityGroupId],
    instanceTags: 'team=hpc;project=demo',
    ...overrides,
  };
}

/** Writes IBM-format provider files (`awsprov_config.json`, `awsprov_templates.json`). */
function writeProviderFiles(confDir, { config = {}, templates }) {
  fs.writeFileSync(path.join(confDir, 'awsprov_config.json'), JSON.stringify(config, null, '\t'));
  fs.writeFileSync(path.join(confDir, 'awsprov_templates.json'), JSON.stringify({ templates }, null, '\t'));
}

/** A VPC, a subnet per AZ and a security group in the (moto) account; returns their ids. */
async function createNetwork(endpoint, region = 'us-east-1') {
  const ec2 = require('@aws-sdk/client-ec2');
  const client = new ec2.EC2Client({
    region,
    endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  try {
    const vpc = await client.send(new ec2.CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }));
    const vpcId = vpc.Vpc.VpcId;
    const subnetIds = [];
    for (const [index, zone] of [`${region}a`, `${region}b`].entries()) {
      const subnet = await client.send(new ec2.CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.40.${index}.0/24`, AvailabilityZone: zone }));
      subnetIds.push(subnet.Subnet.SubnetId);
    }
    const group = await client.send(
      new ec2.CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: `hf-demo-${Date.now()}`, Description: 'open-hostfactory' }),
    );
    return { vpcId, subnetIds, securityGroupId: group.GroupId };
  } finally {
    client.destroy();
  }
}

/** Terminates an instance behind the plugin's back (as a console user or the cloud would). */
async function terminateOutsidePlugin(endpoint, instanceId, region = 'us-east-1') {
  const ec2 = require('@aws-sdk/client-ec2');
  const client = new ec2.EC2Client({ region, endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  try {
    await client.send(new ec2.TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  } finally {
    client.destroy();
  }
}

/**
 * Runs `<script>.sh -f <tmpfile>` exactly as HF does: input written tab-indented to a fresh
 * temp file, HF's environment, no stdin. Resolves with the exit status, raw stdout/stderr, and
 * the parsed JSON (undefined if stdout is not one JSON document). `killAfterMs`: SIGKILL the
 * whole process group (the script and its node) after that long, as HF does at its action
 * timeout (`killOn`: when that promise settles); `killed` then says whether it was still running.
 */
function runScript(script, input, env, { scriptsDir = SCRIPTS_DIR, cwd = os.tmpdir(), timeoutMs = 60_000, killAfterMs, killOn } = {}) {
  const inputDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hf_in_'));
  const file = path.join(inputDir, 'input.json');
  fs.writeFileSync(file, typeof input === 'string' ? input : JSON.stringify(input, null, '\t'));
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(scriptsDir, `${script}.sh`), ['-f', file], {
      env,
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a kill takes the node process with the script
    });
    let stdout = '';
    let stderr = '';
    let exited = false;
    let killed = false;
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const killGroup = () => {
      if (exited) return;
      killed = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(killGroup, timeoutMs);
    const killTimer = killAfterMs === undefined ? undefined : setTimeout(killGroup, killAfterMs);
    if (killOn) killOn.then(killGroup, killGroup);
    child.on('exit', () => {
      exited = true;
    });
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      fs.rmSync(inputDir, { recursive: true, force: true });
      let json;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ status, stdout, stderr, json, ms: Date.now() - started, killed });
    });
  });
}

module.exports = {
  ROOT,
  SCRIPTS_DIR,
  MOTO_AMI,
  ondemandTemplate,
  hfEnvironment,
  writeProviderFiles,
  createNetwork,
  terminateOutsidePlugin,
  runScript,
};
