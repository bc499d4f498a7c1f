import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Container } from 'inversify';
import { StateStore } from '@open-hostfactory/core';
import { anAcquireRequest } from '@open-hostfactory/core/testing';
import { SqliteStateStore } from './sqlite-state-store';
import { sqliteStorageModule } from './sqlite-storage-module';

describe('sqliteStorageModule', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ohf-sqlite-module-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds one SqliteStateStore and the StateStore token to it, without opening the file', async () => {
    const filePath = join(dir, 'work', 'aws.db');
    const container = new Container();
    await container.load(sqliteStorageModule({ filePath }));

    const store = container.get<StateStore>(StateStore);
    expect(store).toBeInstanceOf(SqliteStateStore);
    expect(container.get(SqliteStateStore)).toBe(store);
    expect(container.get<StateStore>(StateStore)).toBe(store);
    expect((store as SqliteStateStore).filePath).toBe(filePath);
    expect(existsSync(filePath)).toBe(false);
    container.unbindAll();
  });

  it('closes the store when the container unbinds it', async () => {
    const filePath = join(dir, 'aws.db');
    const container = new Container();
    await container.load(sqliteStorageModule({ filePath }));
    const store = container.get(SqliteStateStore);
    await store.write({ requests: [anAcquireRequest()] });
    const closeSync = jest.spyOn(store, 'closeSync');

    container.unbindAll();

    expect(closeSync).toHaveBeenCalledTimes(1);
    expect((store as unknown as { connection: unknown }).connection).toBeUndefined();
  });
});
