import { FixedClock, InMemoryStateStore, anAcquireRequest, aMachine } from '../testing';
import { DEFAULT_PROVIDER_SETTINGS } from '../ports/provider-settings';
import { silentLogger } from '../ports/logger';
import { unknownProcess } from '../ports/process-identity';
import { PURGE_INTERVAL_MS, RetentionPurge } from './retention';

const DAY = 86_400_000;

describe('RetentionPurge', () => {
  function setup(retentionDays = 30) {
    const clock = new FixedClock(Date.UTC(2026, 5, 1));
    const store = new InMemoryStateStore();
    const purge = new RetentionPurge({
      store,
      clock,
      settings: { ...DEFAULT_PROVIDER_SETTINGS, retentionDays },
      logger: silentLogger,
      identity: unknownProcess,
    });
    return { clock, store, purge };
  }

  it('purges requests closed longer ago than retentionDays, at most once an hour across processes', async () => {
    const { clock, store, purge } = setup(30);
    await store.write({
      requests: [
        anAcquireRequest({ requestId: 'req-old', status: 'complete', closedAt: clock.now() - 31 * DAY }),
        anAcquireRequest({ requestId: 'req-new', status: 'complete', closedAt: clock.now() - 29 * DAY }),
        anAcquireRequest({ requestId: 'req-open', status: 'running', createdAt: clock.now() - 60 * DAY }),
      ],
      machines: [
        aMachine({ machineId: 'i-old', requestId: 'req-old', status: 'terminated' }),
        aMachine({ machineId: 'i-open', requestId: 'req-open' }),
      ],
    });
    expect(await purge.maybeRun()).toEqual({ requests: 1, machines: 1 });
    expect((await store.getRequests(['req-old', 'req-new', 'req-open'])).map((r) => r.requestId)).toEqual(['req-new', 'req-open']);
    // Within the hour the lease says no.
    clock.advance(PURGE_INTERVAL_MS / 6);
    expect(await purge.maybeRun()).toBeUndefined();
    // Two days on, req-new has passed 30 days too.
    clock.advance(2 * DAY);
    expect(await purge.maybeRun()).toEqual({ requests: 1, machines: 0 });
    expect(await store.getMachines({ machineIds: ['i-open'] })).toHaveLength(1);
  });

  it('run: the operator purges now, for any number of days', async () => {
    const { clock, store, purge } = setup();
    await store.write({ requests: [anAcquireRequest({ requestId: 'req-1', status: 'complete', closedAt: clock.now() - 1000 })] });
    expect(await purge.run(1)).toEqual({ requests: 0, machines: 0 });
    expect(await purge.run(0)).toEqual({ requests: 1, machines: 0 });
  });
});
