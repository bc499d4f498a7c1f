import { ContainerModule } from 'inversify';
import { InstanceTypeCatalog, systemClock, type Clock } from '@open-hostfactory/core';
import type { Ec2Client } from './ec2-client';
import { Ec2InstanceTypeCatalog } from './instance-type-catalog';
import { RunInstancesProvider } from './run-instances-provider';

export interface Ec2CapacityModuleOptions {
  /** The EC2 client of the region (built by the app, e.g. with `createEc2Client`). */
  readonly client: Ec2Client;
  /** HF_PROVIDER_NAME, written to every instance's `hf:provider-name` tag. */
  readonly providerName: string;
  readonly clock?: Clock;
}

/**
 * Binds {@link RunInstancesProvider} and {@link Ec2InstanceTypeCatalog} (singletons) and the core
 * `InstanceTypeCatalog` port to the catalog. The app picks providers by class and may rebind
 * `InstanceTypeCatalog` to a caching decorator of `Ec2InstanceTypeCatalog`.
 */
export function ec2CapacityModule(options: Ec2CapacityModuleOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(RunInstancesProvider)
      .toDynamicValue(
        () =>
          new RunInstancesProvider(options.client, {
            providerName: options.providerName,
            clock: options.clock ?? systemClock,
          }),
      )
      .inSingletonScope();
    bind(Ec2InstanceTypeCatalog)
      .toDynamicValue(() => new Ec2InstanceTypeCatalog(options.client))
      .inSingletonScope();
    bind<InstanceTypeCatalog>(InstanceTypeCatalog).toService(Ec2InstanceTypeCatalog);
  });
}
