import { createAedesCore } from './aedes-core.js';
import { createLeanCore } from './lean/lean-broker.js';
import type { BrokerCore, CoreKind, CoreOptions } from './types.js';

export * from './types.js';

/** Starts a broker core of the given kind (see types.ts); resolves once its persistence is set up. */
export function createCore(kind: CoreKind, opts: CoreOptions): Promise<BrokerCore> {
  switch (kind) {
    case 'lean':
      return createLeanCore(opts);
    case 'aedes':
      return createAedesCore(opts);
  }
}
