import { InMemoryStateStore } from './in-memory-state-store';
import { describeStateStoreContract } from './state-store-contract';

describeStateStoreContract('InMemoryStateStore', async () => ({ store: new InMemoryStateStore() }));
