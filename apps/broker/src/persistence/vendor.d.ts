// Types for the parts of aedes' persistence packages we use that ship no (reachable) declarations.

declare module 'aedes-persistence/asyncPersistence.js' {
  import type { Readable } from 'node:stream';

  type Pkt = Record<string, any>;
  type ClientRef = { id: string };

  /** aedes-persistence's in-memory implementation (async API); we reuse its indexes. */
  class MemoryPersistence {
    constructor(opts?: { broadcastSubscriptions?: boolean });
    static Packet: new (original: Pkt, broker?: { id: string; counter: number }) => Pkt;
    readonly broker: any;
    setup(broker: any): Promise<void>;
    storeRetained(packet: Pkt): Promise<void>;
    createRetainedStream(pattern: string): Readable;
    createRetainedStreamCombi(patterns: string[]): Readable;
    addSubscriptions(client: ClientRef, subs: Pkt[]): Promise<void>;
    removeSubscriptions(client: ClientRef, topics: string[]): Promise<void>;
    subscriptionsByClient(client: ClientRef): Promise<Pkt[]>;
    countOffline(): Promise<{ subsCount: number; clientsCount: number }>;
    subscriptionsByTopic(topic: string): Promise<Pkt[]>;
    cleanSubscriptions(client: ClientRef): Promise<void>;
    getClientList(topic: string): Readable;
    destroy(): Promise<void>;
  }
  export = MemoryPersistence;
}

declare module 'aedes-persistence/abstract.js' {
  /** The upstream conformance suite: registers its tests through `opts.test(name, fn)`. */
  function abstractPersistence(opts: {
    test: (name: string, fn: (t: any) => Promise<void> | void) => unknown;
    persistence: () => unknown;
    buildEmitter?: () => unknown;
    testAsync?: boolean;
    waitForReady?: boolean;
  }): void;
  export = abstractPersistence;
}

declare module 'aedes-persistence-redis' {
  /** Callback/promise wrapper around the async Redis persistence (what aedes' own default looks like). */
  function aedesPersistenceRedis(opts?: Record<string, unknown>): any;
  export = aedesPersistenceRedis;
}

declare module 'qlobber' {
  /** The topic matcher aedes and mqemitter use (davedoesdev/qlobber). */
  export class Qlobber<V = unknown> {
    constructor(opts?: { separator?: string; wildcard_one?: string; wildcard_some?: string; match_empty_levels?: boolean });
    add(topic: string, value: V): this;
    remove(topic: string, value?: V): this;
    match(topic: string): V[];
    clear(): this;
  }
}
