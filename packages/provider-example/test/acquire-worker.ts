// One HF call's acquire in its own process, for the race test: prints the hosts it was handed.
import { systemClock } from '@open-hostfactory/core';
import { aTemplate, anAcquireRequest } from '@open-hostfactory/core/testing';
import { StaticPoolProvider } from '../src/static-pool-provider';

const [workDir, requestId, hostsJson, startAt] = process.argv.slice(2) as [string, string, string, string];
const hosts = JSON.parse(hostsJson) as string[];
const template = aTemplate({ templateId: 'Pool-A', providerApi: 'StaticPool', providerSettings: { hosts, instanceType: 'rack-node' } });
const provider = new StaticPoolProvider({ providerName: 'onprem', workDir, clock: systemClock });

// Every worker starts at the same moment, so that they race for the lock.
setTimeout(
  () => {
    provider
      .acquire({
        request: anAcquireRequest({ requestId, templateId: 'Pool-A', providerApi: 'StaticPool', machineCount: 2 }),
        template,
        count: 2,
        attempt: 1,
        deadline: Date.now() + 60_000,
      })
      .then((result) => process.stdout.write(JSON.stringify(result.machines.map((m) => m.name))))
      .catch((error: unknown) => {
        process.stderr.write(`${String(error)}\n`);
        process.exit(1);
      });
  },
  Math.max(0, Number(startAt) - Date.now()),
);
