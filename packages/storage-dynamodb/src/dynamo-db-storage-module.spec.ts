import { Container } from 'inversify';
import { StateStore } from '@open-hostfactory/core';
import { DynamoDbStateStore } from './dynamo-db-state-store';
import { dynamoDbStorageModule } from './dynamo-db-storage-module';
import { fakeClient } from '../test/fake-client';

describe('dynamoDbStorageModule', () => {
  it('binds one DynamoDbStateStore and the StateStore token to it, sending nothing', async () => {
    const fake = fakeClient(() => ({}));
    const container = new Container();
    await container.load(dynamoDbStorageModule({ client: fake.client, tablePrefix: 'hf', providerName: 'aws' }));

    const store = container.get<StateStore>(StateStore);
    expect(store).toBeInstanceOf(DynamoDbStateStore);
    expect(container.get(DynamoDbStateStore)).toBe(store);
    expect((store as DynamoDbStateStore).tables.requests).toBe('hf-requests');
    expect(fake.calls).toEqual([]);
    container.unbindAll();
  });

  it('closes the store when the container unbinds it', async () => {
    const destroy = jest.fn();
    const container = new Container();
    await container.load(
      dynamoDbStorageModule({ client: { send: jest.fn(), destroy } as never, tablePrefix: 'hf', providerName: 'aws', ownsClient: true }),
    );
    const store = container.get(DynamoDbStateStore);
    const close = jest.spyOn(store, 'closeSync');
    container.unbindAll();
    expect(close).toHaveBeenCalledTimes(1);
    expect(destroy).toHaveBeenCalledTimes(1);
  });
});
