/// <reference types="jest" />
import type { Machine } from '../domain/machine/machine';
import type { StateStore } from '../ports/state-store';
import { aMachine, aReturnRequest, anAcquireRequest } from './builders';

/** A fresh store for one contract test, and how to remove what it made. */
export interface StateStoreUnderTest {
  readonly store: StateStore;
  /** Runs after `store.close()`: removes files, tables… */
  readonly cleanup?: () => Promise<void>;
}

/**
 * The behaviour every {@link StateStore} must show. Call it from a spec of the adapter:
 * `describeStateStoreContract('SqliteStateStore', async () => ({ store, cleanup }))`.
 * `makeStore` is called before each test and must return an empty store.
 */
export function describeStateStoreContract(name: string, makeStore: () => Promise<StateStoreUnderTest>): void {
  describe(`StateStore contract: ${name}`, () => {
    let store: StateStore;
    let cleanup: (() => Promise<void>) | undefined;

    beforeEach(async () => {
      const made = await makeStore();
      store = made.store;
      cleanup = made.cleanup;
    });

    afterEach(async () => {
      await store.close();
      await cleanup?.();
    });

    describe('write', () => {
      it('inserts records at version 0 and returns them at version 1', async () => {
        const request = anAcquireRequest({ requestId: reqId(1) });
        const machine = aMachine({ machineId: 'i-1', requestId: reqId(1) });

        const stored = await store.write({ requests: [request], machines: [machine] });

        expect(stored.requests).toEqual([{ ...request, version: 1 }]);
        expect(stored.machines).toEqual([{ ...machine, version: 1 }]);
        expect(await store.getRequests([reqId(1)])).toEqual([{ ...request, version: 1 }]);
        expect(await store.getMachines({ machineIds: ['i-1'] })).toEqual([{ ...machine, version: 1 }]);
      });

      it('accepts an empty change set', async () => {
        expect(await store.write({})).toEqual({ requests: [], machines: [] });
        expect(await store.write({ requests: [], machines: [] })).toEqual({ requests: [], machines: [] });
      });

      it('updates a record whose version matches and bumps the version each time', async () => {
        const [v1] = (await store.write({ requests: [anAcquireRequest({ requestId: reqId(1) })] })).requests;
        const [v2] = (await store.write({ requests: [{ ...v1!, status: 'complete', message: 'done' }] })).requests;
        expect(v2).toMatchObject({ version: 2, status: 'complete', message: 'done' });
        const [v3] = (await store.write({ requests: [{ ...v2!, launchAttempts: 3 }] })).requests;
        expect(v3).toMatchObject({ version: 3, launchAttempts: 3 });
        expect(await store.getRequests([reqId(1)])).toEqual([{ ...v2!, launchAttempts: 3, version: 3 }]);

        const [m1] = (await store.write({ machines: [aMachine({ machineId: 'i-1' })] })).machines;
        const [m2] = (await store.write({ machines: [{ ...m1!, status: 'terminated', gone: true }] })).machines;
        expect(m2).toMatchObject({ version: 2, status: 'terminated', gone: true });
        expect(await store.getMachines({ machineIds: ['i-1'] })).toEqual([m2]);
      });

      it('rejects inserting a request whose id exists with CONFLICT and keeps the stored one', async () => {
        const [stored] = (await store.write({ requests: [anAcquireRequest({ requestId: reqId(1), message: 'first' })] })).requests;
        await expectConflict(store.write({ requests: [anAcquireRequest({ requestId: reqId(1), message: 'second' })] }));
        expect(await store.getRequests([reqId(1)])).toEqual([stored]);
      });

      it('rejects inserting a machine whose id exists with CONFLICT and keeps the stored one', async () => {
        const [stored] = (await store.write({ machines: [aMachine({ machineId: 'i-1', message: 'first' })] })).machines;
        await expectConflict(store.write({ machines: [aMachine({ machineId: 'i-1', message: 'second' })] }));
        expect(await store.getMachines({ machineIds: ['i-1'] })).toEqual([stored]);
      });

      it('rejects a stale version with CONFLICT and keeps the stored record', async () => {
        const [v1] = (await store.write({ requests: [anAcquireRequest({ requestId: reqId(1) })] })).requests;
        const [v2] = (await store.write({ requests: [{ ...v1!, message: 'newer' }] })).requests;
        await expectConflict(store.write({ requests: [{ ...v1!, message: 'stale' }] }));
        await expectConflict(store.write({ requests: [{ ...v2!, version: 7, message: 'ahead' }] }));
        expect(await store.getRequests([reqId(1)])).toEqual([v2]);

        const [m1] = (await store.write({ machines: [aMachine({ machineId: 'i-1' })] })).machines;
        const [m2] = (await store.write({ machines: [{ ...m1!, status: 'stopping' }] })).machines;
        await expectConflict(store.write({ machines: [{ ...m1!, status: 'terminated' }] }));
        expect(await store.getMachines({ machineIds: ['i-1'] })).toEqual([m2]);
      });

      it('rejects updating a record that does not exist with CONFLICT and creates nothing', async () => {
        await expectConflict(store.write({ requests: [anAcquireRequest({ requestId: reqId(1), version: 1 })] }));
        await expectConflict(store.write({ machines: [aMachine({ machineId: 'i-1', version: 3 })] }));
        expect(await store.getRequests([reqId(1)])).toEqual([]);
        expect(await store.getMachines({ machineIds: ['i-1'] })).toEqual([]);
      });

      it('changes nothing at all when one record of the write conflicts', async () => {
        const before = await store.write({
          requests: [anAcquireRequest({ requestId: reqId(1) }), anAcquireRequest({ requestId: reqId(2) })],
          machines: [aMachine({ machineId: 'i-1' }), aMachine({ machineId: 'i-2' })],
        });
        const [r1, r2] = before.requests;
        const [m1, m2] = before.machines;

        await expectConflict(
          store.write({
            requests: [{ ...r1!, status: 'complete' }, anAcquireRequest({ requestId: reqId(3) }), { ...r2!, message: 'updated' }],
            machines: [
              aMachine({ machineId: 'i-3' }),
              { ...m1!, result: 'fail' },
              { ...m2!, version: m2!.version + 1 }, // the one conflict, last of all
            ],
          }),
        );

        expect(await store.getRequests([reqId(1), reqId(2), reqId(3)])).toEqual([r1, r2]);
        expect(await store.getMachines({ machineIds: ['i-1', 'i-2', 'i-3'] })).toEqual([m1, m2]);
      });

      it('changes nothing when a request conflicts and the machines of the same write are valid', async () => {
        const [r1] = (await store.write({ requests: [anAcquireRequest({ requestId: reqId(1) })] })).requests;
        await expectConflict(
          store.write({
            requests: [anAcquireRequest({ requestId: reqId(1) })],
            machines: [aMachine({ machineId: 'i-1', requestId: reqId(1) })],
          }),
        );
        expect(await store.getRequests([reqId(1)])).toEqual([r1]);
        expect(await store.getMachines({ requestIds: [reqId(1)] })).toEqual([]);
      });

      it('never aliases what it was given or what it returns', async () => {
        const input = anAcquireRequest({ requestId: reqId(1), providerData: { fleetId: 'fleet-1' } });
        const machineInput = aMachine({ machineId: 'i-1', notice: { kind: 'spot-interruption', deadline: 1_700_000_120 } });
        const stored = await store.write({ requests: [input], machines: [machineInput] });

        (input.providerData as Record<string, string>)['fleetId'] = 'changed-input';
        (stored.requests[0]!.providerData as Record<string, string>)['fleetId'] = 'changed-output';
        (machineInput.notice as { deadline?: number }).deadline = 1;
        (stored.machines[0]!.notice as { deadline?: number }).deadline = 2;
        const [read] = await store.getRequests([reqId(1)]);
        (read!.providerData as Record<string, string>)['fleetId'] = 'changed-read';
        const [readMachine] = await store.getMachines({ machineIds: ['i-1'] });
        (readMachine!.notice as { deadline?: number }).deadline = 3;

        expect((await store.getRequests([reqId(1)]))[0]!.providerData).toEqual({ fleetId: 'fleet-1' });
        expect((await store.getMachines({ machineIds: ['i-1'] }))[0]!.notice).toEqual({
          kind: 'spot-interruption',
          deadline: 1_700_000_120,
        });
      });

      it('lets exactly one of two writers of the same version win', async () => {
        const [v1] = (await store.write({ requests: [anAcquireRequest({ requestId: reqId(1) })] })).requests;
        const [m1] = (await store.write({ machines: [aMachine({ machineId: 'i-1' })] })).machines;
        const [readByA] = await store.getRequests([reqId(1)]);
        const [readByB] = await store.getRequests([reqId(1)]);
        expect(readByA).toEqual(v1);

        const outcomes = await Promise.allSettled([
          store.write({ requests: [{ ...readByA!, message: 'A' }], machines: [{ ...m1!, message: 'A' }] }),
          store.write({ requests: [{ ...readByB!, message: 'B' }], machines: [{ ...m1!, message: 'B' }] }),
        ]);

        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0]!.reason).toMatchObject({ name: 'HostFactoryError', code: 'CONFLICT', transient: true });
        const winner = outcomes[0]!.status === 'fulfilled' ? 'A' : 'B';
        const [request] = await store.getRequests([reqId(1)]);
        const [machine] = await store.getMachines({ machineIds: ['i-1'] });
        expect(request).toMatchObject({ version: 2, message: winner });
        expect(machine).toMatchObject({ version: 2, message: winner });
      });

      it('lets exactly one of two inserts of the same id win', async () => {
        const outcomes = await Promise.allSettled([
          store.write({ requests: [anAcquireRequest({ requestId: reqId(1), message: 'A' })] }),
          store.write({ requests: [anAcquireRequest({ requestId: reqId(1), message: 'B' })] }),
        ]);
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const lost = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(lost?.reason).toMatchObject({ code: 'CONFLICT' });
        expect(await store.getRequests([reqId(1)])).toHaveLength(1);
      });
    });

    describe('round trip', () => {
      it('keeps every field of an acquire request', async () => {
        const request = anAcquireRequest({
          requestId: reqId(1),
          templateId: 'Spot-Large',
          providerApi: 'EC2Fleet',
          machineCount: 42,
          status: 'complete_with_error',
          message: 'Only 40 of 42 machines: "InsufficientInstanceCapacity" — ünïcödé',
          launchAttempts: 5,
          failedAttempts: 2,
          providerData: { fleetId: 'fleet-0123', token: 'req-1#5', empty: '' },
          launchLease: { until: 1_700_000_300_000, holder: 'host-1:4242:99', count: 7 },
          firstPolledAt: 1_700_000_030_000,
          closedAt: 1_700_000_900_000,
          rcAccount: 'risk-desk/emea',
          createdAt: 1_700_000_000_123,
          updatedAt: 1_700_000_999_456,
        });
        await store.write({ requests: [request] });
        const [read] = await store.getRequests([reqId(1)]);
        expect(read).toEqual({ ...request, version: 1 });
        expect(read!.providerData).toEqual({ fleetId: 'fleet-0123', token: 'req-1#5', empty: '' });
      });

      it('keeps a return request without template or provider api', async () => {
        const request = aReturnRequest({ requestId: retId(1), machineCount: 3, status: 'running' });
        await store.write({ requests: [request] });
        const [read] = await store.getRequests([retId(1)]);
        expect(read).toEqual({ ...request, version: 1 });
        expect(read!.kind).toBe('return');
        expect(read!.templateId).toBeUndefined();
        expect(read!.providerApi).toBeUndefined();
        expect(read!.providerData).toEqual({});
        expect(read!.launchLease).toBeUndefined();
        expect(read!.firstPolledAt).toBeUndefined();
        expect(read!.closedAt).toBeUndefined();
        expect(read!.rcAccount).toBeUndefined();
      });

      it('keeps every field of a machine, optional ones included', async () => {
        const machine = aMachine({
          machineId: 'i-0fedcba9876543210',
          requestId: reqId(1),
          templateId: 'Spot-Large',
          providerApi: 'SpotFleet',
          returnRequestId: retId(1),
          name: 'ip-10-1-2-3.ec2.internal',
          privateIpAddress: '10.1.2.3',
          publicIpAddress: '54.1.2.3',
          launchTime: 1_700_000_321,
          status: 'shutting-down',
          result: 'executing',
          message: 'Instance shutting down',
          priceType: 'spot',
          instanceType: 'c5.xlarge',
          instanceTags: 'team=hpc;cost=42',
          cloudHostId: 'h-0123456789abcdef0',
          weight: 2.5,
          gone: true,
          notice: { kind: 'spot-interruption', deadline: 1_700_000_400 },
          createdAt: 1_700_000_000_777,
          updatedAt: 1_700_000_888_999,
        });
        await store.write({ machines: [machine] });
        const [read] = await store.getMachines({ machineIds: [machine.machineId] });
        expect(read).toEqual({ ...machine, version: 1 });
        expect(read!.notice).toEqual({ kind: 'spot-interruption', deadline: 1_700_000_400 });
      });

      it('keeps a machine without optional fields, and a notice without deadline', async () => {
        const plain = aMachine({ machineId: 'i-1', result: 'fail', status: 'terminated' });
        const noticed = aMachine({ machineId: 'i-2', notice: { kind: 'rebalance-recommendation' } });
        await store.write({ machines: [plain, noticed] });
        const [readPlain, readNoticed] = await store.getMachines({ machineIds: ['i-1', 'i-2'] });
        expect(readPlain).toEqual({ ...plain, version: 1 });
        expect(readPlain!.returnRequestId).toBeUndefined();
        expect(readPlain!.cloudHostId).toBeUndefined();
        expect(readPlain!.notice).toBeUndefined();
        expect(readPlain!.gone).toBe(false);
        expect(readNoticed).toEqual({ ...noticed, version: 1 });
        expect(readNoticed!.notice).toEqual({ kind: 'rebalance-recommendation' });
        expect(readNoticed!.notice!.deadline).toBeUndefined();
      });

      it('clears optional fields when an update drops them', async () => {
        const [m1] = (
          await store.write({
            machines: [aMachine({ machineId: 'i-1', cloudHostId: 'h-1', notice: { kind: 'spot-interruption' } })],
          })
        ).machines;
        const { cloudHostId: _host, notice: _notice, ...withoutOptional } = m1!;
        await store.write({ machines: [withoutOptional] });
        const [read] = await store.getMachines({ machineIds: ['i-1'] });
        expect(read).toEqual({ ...withoutOptional, version: 2 });
        expect(read!.cloudHostId).toBeUndefined();
        expect(read!.notice).toBeUndefined();
      });
    });

    describe('getRequests', () => {
      it('returns the existing ones in the given order, each once', async () => {
        await store.write({
          requests: [
            anAcquireRequest({ requestId: reqId(1), createdAt: 1 }),
            anAcquireRequest({ requestId: reqId(2), createdAt: 2 }),
            aReturnRequest({ requestId: retId(3), createdAt: 3 }),
          ],
        });
        const read = await store.getRequests([retId(3), 'req-unknown', reqId(1), retId(3), reqId(2), reqId(1)]);
        expect(read.map((r) => r.requestId)).toEqual([retId(3), reqId(1), reqId(2)]);
      });

      it('returns nothing for no ids or unknown ids', async () => {
        await store.write({ requests: [anAcquireRequest({ requestId: reqId(1) })] });
        expect(await store.getRequests([])).toEqual([]);
        expect(await store.getRequests(['req-unknown', 'ret-unknown'])).toEqual([]);
      });

      it('finds requests among more than a thousand ids', async () => {
        await store.write({ requests: [anAcquireRequest({ requestId: reqId(1) }), anAcquireRequest({ requestId: reqId(2) })] });
        const ids = Array.from({ length: 1200 }, (_, i) => `req-unknown-${i}`);
        ids.splice(700, 0, reqId(2));
        ids.push(reqId(1));
        expect((await store.getRequests(ids)).map((r) => r.requestId)).toEqual([reqId(2), reqId(1)]);
      });
    });

    describe('listRequests', () => {
      beforeEach(async () => {
        await store.write({
          requests: [
            anAcquireRequest({ requestId: reqId(3), createdAt: 300, templateId: 'A', status: 'running' }),
            anAcquireRequest({ requestId: reqId(1), createdAt: 100, templateId: 'A', status: 'complete' }),
            aReturnRequest({ requestId: retId(2), createdAt: 200, status: 'running' }),
            anAcquireRequest({ requestId: reqId(5), createdAt: 200, templateId: 'B', status: 'complete_with_error' }),
            aReturnRequest({ requestId: retId(4), createdAt: 400, status: 'complete' }),
          ],
        });
      });

      it('lists every request oldest first, ties broken by request id', async () => {
        const all = await store.listRequests({});
        expect(all.map((r) => r.requestId)).toEqual([reqId(1), reqId(5), retId(2), reqId(3), retId(4)]);
      });

      it('filters by kind', async () => {
        expect((await store.listRequests({ kind: 'acquire' })).map((r) => r.requestId)).toEqual([reqId(1), reqId(5), reqId(3)]);
        expect((await store.listRequests({ kind: 'return' })).map((r) => r.requestId)).toEqual([retId(2), retId(4)]);
      });

      it('filters by statuses (any of them); an empty list matches nothing', async () => {
        expect((await store.listRequests({ statuses: ['running'] })).map((r) => r.requestId)).toEqual([retId(2), reqId(3)]);
        expect((await store.listRequests({ statuses: ['complete', 'complete_with_error'] })).map((r) => r.requestId)).toEqual([
          reqId(1),
          reqId(5),
          retId(4),
        ]);
        expect(await store.listRequests({ statuses: [] })).toEqual([]);
      });

      it('filters by template id', async () => {
        expect((await store.listRequests({ templateId: 'A' })).map((r) => r.requestId)).toEqual([reqId(1), reqId(3)]);
        expect(await store.listRequests({ templateId: 'unknown' })).toEqual([]);
      });

      it('filters to open requests (not closed), and a closed one leaves it', async () => {
        expect((await store.listRequests({ open: true })).map((r) => r.requestId)).toEqual([reqId(1), reqId(5), retId(2), reqId(3), retId(4)]);
        const [ended] = await store.getRequests([reqId(5)]);
        const [closed] = (await store.write({ requests: [{ ...ended!, closedAt: 1_700_000_600_000 }] })).requests;
        expect((await store.listRequests({ statuses: ['complete_with_error', 'complete'], open: true })).map((r) => r.requestId)).toEqual([
          reqId(1),
          retId(4),
        ]);
        expect((await store.listRequests({ statuses: ['complete_with_error'] })).map((r) => r.requestId)).toEqual([reqId(5)]);
        expect((await store.getRequests([reqId(5)]))[0]).toEqual(closed);
      });

      it('combines filters (all must match)', async () => {
        expect((await store.listRequests({ kind: 'acquire', statuses: ['running', 'complete'], templateId: 'A' })).map((r) => r.requestId)).toEqual([
          reqId(1),
          reqId(3),
        ]);
        expect(await store.listRequests({ kind: 'return', templateId: 'A' })).toEqual([]);
        expect((await store.listRequests({ kind: 'return', statuses: ['complete'] })).map((r) => r.requestId)).toEqual([retId(4)]);
      });
    });

    describe('getMachines', () => {
      let machines: Machine[];

      beforeEach(async () => {
        machines = (
          await store.write({
            machines: [
              aMachine({ machineId: 'i-c', requestId: reqId(1), templateId: 'A', name: 'host-c', createdAt: 30 }),
              aMachine({ machineId: 'i-a', requestId: reqId(1), templateId: 'A', name: 'host-a', createdAt: 10 }),
              aMachine({
                machineId: 'i-b',
                requestId: reqId(2),
                templateId: 'B',
                name: 'host-b',
                returnRequestId: retId(1),
                createdAt: 20,
              }),
              aMachine({ machineId: 'i-d', requestId: reqId(2), templateId: 'B', name: 'host-d', result: 'fail', createdAt: 20 }),
              aMachine({
                machineId: 'i-e',
                requestId: reqId(3),
                templateId: 'B',
                name: 'host-e',
                gone: true,
                status: 'terminated',
                createdAt: 50,
              }),
              aMachine({ machineId: 'i-f', requestId: reqId(3), templateId: 'C', name: 'host-f', result: 'executing', createdAt: 40 }),
            ],
          })
        ).machines.slice();
      });

      const ids = (found: readonly Machine[]): string[] => found.map((m) => m.machineId);

      it('matches nothing for an empty query', async () => {
        expect(await store.getMachines({})).toEqual([]);
        expect(await store.getMachines({ machineIds: [], names: [], requestIds: [], held: false })).toEqual([]);
      });

      it('finds machines by id, by creation time, each once', async () => {
        const found = await store.getMachines({ machineIds: ['i-c', 'i-unknown', 'i-a', 'i-c'] });
        expect(found).toEqual([machines[1], machines[0]]);
      });

      it('finds machines by name', async () => {
        expect(ids(await store.getMachines({ names: ['host-b', 'host-f', 'nobody'] }))).toEqual(['i-b', 'i-f']);
      });

      it('finds machines by acquire request', async () => {
        expect(ids(await store.getMachines({ requestIds: [reqId(2)] }))).toEqual(['i-b', 'i-d']);
        expect(ids(await store.getMachines({ requestIds: [reqId(1), reqId(3)] }))).toEqual(['i-a', 'i-c', 'i-f', 'i-e']);
      });

      it('finds machines by return request', async () => {
        expect(ids(await store.getMachines({ returnRequestIds: [retId(1)] }))).toEqual(['i-b']);
        expect(await store.getMachines({ returnRequestIds: [retId(2)] })).toEqual([]);
      });

      it('finds held machines: not failed, not returned, not gone', async () => {
        expect(ids(await store.getMachines({ held: true }))).toEqual(['i-a', 'i-c', 'i-f']);
        expect(await store.getMachines({ held: false })).toEqual([]);
      });

      it('returns the union of all keys, each machine once, by creation time', async () => {
        const found = await store.getMachines({
          machineIds: ['i-a'],
          names: ['host-a', 'host-e'],
          requestIds: [reqId(1)],
          returnRequestIds: [retId(1)],
        });
        expect(ids(found)).toEqual(['i-a', 'i-b', 'i-c', 'i-e']);
        expect(ids(await store.getMachines({ held: true, requestIds: [reqId(2)] }))).toEqual(['i-a', 'i-b', 'i-d', 'i-c', 'i-f']);
      });

      it('follows updates in its filters', async () => {
        const a = machines.find((m) => m.machineId === 'i-a')!;
        await store.write({ machines: [{ ...a, returnRequestId: retId(2) }] });
        expect(ids(await store.getMachines({ held: true }))).toEqual(['i-c', 'i-f']);
        expect(ids(await store.getMachines({ returnRequestIds: [retId(2)] }))).toEqual(['i-a']);
      });

      it('finds machines among more than a thousand ids', async () => {
        const many = Array.from({ length: 1200 }, (_, i) => `i-unknown-${i}`);
        many.splice(600, 0, 'i-e');
        many.push('i-a');
        expect(ids(await store.getMachines({ machineIds: many }))).toEqual(['i-a', 'i-e']);
        expect(ids(await store.getMachines({ machineIds: many, names: ['host-f'] }))).toEqual(['i-a', 'i-f', 'i-e']);
      });
    });

    describe('loadOf', () => {
      beforeEach(async () => {
        await store.write({
          requests: [
            anAcquireRequest({ requestId: reqId(1), templateId: 'A', status: 'running', machineCount: 3 }),
            anAcquireRequest({ requestId: reqId(2), templateId: 'A', status: 'complete', machineCount: 2 }),
            anAcquireRequest({ requestId: reqId(3), templateId: 'B', status: 'running' }),
            aReturnRequest({ requestId: retId(1), status: 'running' }),
          ],
          machines: [
            aMachine({ machineId: 'i-1', requestId: reqId(1), templateId: 'A', result: 'executing', status: 'pending' }),
            aMachine({ machineId: 'i-2', requestId: reqId(1), templateId: 'A', result: 'fail', status: 'terminated' }),
            aMachine({ machineId: 'i-3', requestId: reqId(2), templateId: 'A' }),
            aMachine({ machineId: 'i-4', requestId: reqId(2), templateId: 'A', returnRequestId: retId(1), status: 'shutting-down' }),
            aMachine({ machineId: 'i-5', requestId: reqId(2), templateId: 'A', returnRequestId: retId(1), status: 'terminated' }),
            aMachine({ machineId: 'i-6', requestId: reqId(2), templateId: 'A', gone: true, status: 'terminated' }),
            aMachine({ machineId: 'i-7', requestId: reqId(3), templateId: 'B' }),
          ],
        });
      });

      const machineIds = (machines: readonly Machine[]): string[] => machines.map((m) => m.machineId).sort();

      it('gives, per template, the machines that count against maxNumber and the running acquire requests with all their machines', async () => {
        const [a, b, c] = await store.loadOf(['A', 'B', 'C']);
        expect(a?.templateId).toBe('A');
        expect(machineIds(a!.machines)).toEqual(['i-1', 'i-3', 'i-4']);
        expect(a!.requests.map((r) => r.requestId)).toEqual([reqId(1)]);
        expect(machineIds(a!.requestMachines)).toEqual(['i-1', 'i-2']);
        expect(machineIds(b!.machines)).toEqual(['i-7']);
        expect(b!.requests.map((r) => r.requestId)).toEqual([reqId(3)]);
        expect(c).toEqual({ templateId: 'C', machines: [], requests: [], requestMachines: [] });
      });

      it('follows writes: an ended request and a terminated return leave the load', async () => {
        const [running] = await store.getRequests([reqId(1)]);
        await store.write({ requests: [{ ...running!, status: 'complete_with_error' }] });
        const [m4] = await store.getMachines({ machineIds: ['i-4'] });
        await store.write({ machines: [{ ...m4!, status: 'terminated' }] });
        const [a] = await store.loadOf(['A']);
        expect(a!.requests).toEqual([]);
        expect(machineIds(a!.machines)).toEqual(['i-1', 'i-3']);
      });
    });

    describe('admit', () => {
      const draft = (n: number, templateId = 'A'): ReturnType<typeof anAcquireRequest> =>
        anAcquireRequest({ requestId: reqId(n), templateId, status: 'running', machineCount: 1 });

      it('inserts the request when the load is accepted, handing over its template load', async () => {
        await store.write({ requests: [draft(1)], machines: [aMachine({ machineId: 'i-1', requestId: reqId(1), templateId: 'A' })] });
        let seen: string[] = [];
        const stored = await store.admit(draft(2), (load) => {
          seen = [load.templateId, ...load.requests.map((r) => r.requestId), ...load.machines.map((m) => m.machineId)];
          return true;
        });
        expect(stored).toEqual({ ...draft(2), version: 1 });
        expect(seen).toEqual(['A', reqId(1), 'i-1']);
        expect(await store.getRequests([reqId(2)])).toEqual([stored]);
      });

      it('writes nothing when refused', async () => {
        expect(await store.admit(draft(1), () => false)).toBeUndefined();
        expect(await store.getRequests([reqId(1)])).toEqual([]);
      });

      it('rejects an id that exists with CONFLICT', async () => {
        await store.write({ requests: [draft(1)] });
        await expectConflict(store.admit(draft(1), () => true));
      });

      it('admits concurrent requests one after another: each sees the ones admitted before it', async () => {
        const fits = (load: { requests: readonly unknown[] }): boolean => load.requests.length < 3;
        const results = await Promise.all([1, 2, 3, 4, 5].map((n) => store.admit(draft(n), fits)));
        expect(results.filter((r) => r !== undefined)).toHaveLength(3);
        expect(await store.listRequests({ templateId: 'A' })).toHaveLength(3);
        // Another template's load is its own.
        expect(await store.admit(draft(9, 'B'), fits)).toBeDefined();
      });
    });

    describe('takeLease', () => {
      it('gives a free lease to one holder until it ends, then to the next', async () => {
        expect(await store.takeLease('sweep', 'p1', 2_000, 1_000)).toBe(true);
        expect(await store.takeLease('sweep', 'p2', 3_000, 1_500)).toBe(false);
        expect(await store.takeLease('sweep', 'p1', 3_000, 1_999)).toBe(false);
        expect(await store.takeLease('other', 'p2', 3_000, 1_500)).toBe(true);
        expect(await store.takeLease('sweep', 'p2', 4_000, 2_000)).toBe(true);
      });

      it('lets exactly one of concurrent takers have it', async () => {
        const taken = await Promise.all(['a', 'b', 'c', 'd'].map((holder) => store.takeLease('race', holder, 5_000, 1_000)));
        expect(taken.filter(Boolean)).toHaveLength(1);
      });

      it('is not a cached value', async () => {
        await store.takeLease('sweep', 'p1', 2_000, 1_000);
        expect(await store.getCached('sweep', 1_000)).toBeUndefined();
      });
    });

    describe('cache', () => {
      it('returns undefined for an absent key', async () => {
        expect(await store.getCached('absent', 0)).toBeUndefined();
      });

      it('returns the value until it expires (valid while now < expiresAt)', async () => {
        await store.putCached('instance-types', '{"t3.medium":2}', 10_000);
        expect(await store.getCached('instance-types', 0)).toBe('{"t3.medium":2}');
        expect(await store.getCached('instance-types', 9_999)).toBe('{"t3.medium":2}');
        expect(await store.getCached('instance-types', 10_000)).toBeUndefined();
        expect(await store.getCached('instance-types', 20_000)).toBeUndefined();
      });

      it('replaces the value and the expiry when put again, and is idempotent', async () => {
        await store.putCached('k', 'old', 1_000);
        await store.putCached('k', 'new', 5_000);
        await store.putCached('k', 'new', 5_000);
        expect(await store.getCached('k', 2_000)).toBe('new');
        await store.putCached('k', 'short', 1_500);
        expect(await store.getCached('k', 2_000)).toBeUndefined();
      });

      it('keeps keys apart and handles large values', async () => {
        const large = 'x'.repeat(200_000);
        await store.putCached('a', 'A', 1_000);
        await store.putCached('b', large, 1_000);
        expect(await store.getCached('a', 0)).toBe('A');
        expect(await store.getCached('b', 0)).toBe(large);
      });
    });

    describe('purge', () => {
      it('deletes requests closed before the cutoff with their machines, never an open one, at most `limit`', async () => {
        const day = 86_400_000;
        const now = Date.UTC(2026, 5, 1);
        await store.write({
          requests: [
            anAcquireRequest({ requestId: reqId(1), status: 'complete', closedAt: now - 40 * day }),
            anAcquireRequest({ requestId: reqId(2), status: 'complete', closedAt: now - 35 * day }),
            anAcquireRequest({ requestId: reqId(3), status: 'complete', closedAt: now - 1 * day }),
            anAcquireRequest({ requestId: reqId(4), status: 'complete', createdAt: now - 90 * day }),
          ],
          machines: [
            aMachine({ machineId: 'i-1', requestId: reqId(1), status: 'terminated' }),
            aMachine({ machineId: 'i-2', requestId: reqId(1), status: 'terminated' }),
            aMachine({ machineId: 'i-3', requestId: reqId(3), status: 'terminated' }),
            aMachine({ machineId: 'i-4', requestId: reqId(4), status: 'running' }),
          ],
        });
        const first = await store.purge(now - 30 * day, 1);
        if (first.expiresItself) {
          // The store's own expiry (DynamoDB TTL) does the work: nothing is deleted here.
          expect(first).toEqual({ requests: 0, machines: 0, expiresItself: true });
          expect(await store.getRequests([reqId(1), reqId(2), reqId(3), reqId(4)])).toHaveLength(4);
          return;
        }
        expect(first).toEqual({ requests: 1, machines: 2 });
        expect(await store.purge(now - 30 * day, 100)).toEqual({ requests: 1, machines: 0 });
        expect(await store.purge(now - 30 * day, 100)).toEqual({ requests: 0, machines: 0 });
        expect((await store.getRequests([reqId(1), reqId(2), reqId(3), reqId(4)])).map((r) => r.requestId).sort()).toEqual([reqId(3), reqId(4)]);
        expect((await store.getMachines({ machineIds: ['i-1', 'i-2', 'i-3', 'i-4'] })).map((m) => m.machineId).sort()).toEqual(['i-3', 'i-4']);
      });
    });

    describe('close', () => {
      it('is idempotent', async () => {
        await store.write({ requests: [anAcquireRequest({ requestId: reqId(1) })] });
        await expect(store.close()).resolves.toBeUndefined();
        await expect(store.close()).resolves.toBeUndefined();
      });
    });
  });
}

function reqId(n: number): string {
  return `req-00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

function retId(n: number): string {
  return `ret-00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

async function expectConflict(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'HostFactoryError', code: 'CONFLICT', transient: true });
}
