// Child process of sqlite-state-store.concurrency.int.spec.ts: one of several writers sharing one
// database file (core/testing's runConcurrentWriter). Bundled with esbuild at test time and run
// with `node concurrent-writer.js '<json>'`.
import { concurrentWriterMain, type ConcurrentWriterArgs } from '@open-hostfactory/core/testing';
import { SqliteStateStore } from '../src/sqlite-state-store';

export type WriterArgs = ConcurrentWriterArgs & { readonly filePath: string };

concurrentWriterMain((args) => new SqliteStateStore({ filePath: (args as unknown as WriterArgs).filePath }));
