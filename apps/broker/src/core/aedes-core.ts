import type { IncomingMessage } from 'node:http';
import { Aedes, type AedesPublishPacket, type Client, type PublishPacket } from 'aedes';
import { ackAfterPublish, attachInbound } from './aedes-internals.js';
import type { BrokerCore, Connection, CoreClient, CoreEvents, CoreOptions, CorePublishPacket } from './types.js';

/** Before CONNECT, and when no limit is given: no packet may exceed this (aedes' own limit is 256 MB). */
const DEFAULT_MAX_PACKET = 268_435_455;

/**
 * aedes 1.2 behind the core seam: the reference core, kept for differential tests and as a fallback
 * (`BROKER_CORE=aedes`). Everything that reaches past aedes' API lives in aedes-internals.ts.
 */
export async function createAedesCore(opts: CoreOptions): Promise<BrokerCore> {
  let shed = 0;
  const forward = opts.authorizeForward;
  const aedes = await Aedes.createBroker({
    id: opts.id,
    // mqemitter's default in-flight cap of 100 queues, collapses and overflows the stack (broker-core.md §1.5).
    concurrency: 0,
    queueLimit: opts.queueLimit ?? 42,
    drainTimeout: opts.drainTimeout ?? 30_000,
    connectTimeout: opts.connectTimeout ?? 10_000,
    maxClientsIdLength: opts.maxClientsIdLength ?? 23,
    heartbeatInterval: opts.heartbeatInterval ?? 60_000,
    persistence: opts.persistence,
    mq: opts.mq,
    ...(opts.authenticate && { authenticate: opts.authenticate as never }),
    ...(opts.authorizePublish && { authorizePublish: opts.authorizePublish as never }),
    ...(opts.authorizeSubscribe && { authorizeSubscribe: opts.authorizeSubscribe as never }),
    authorizeForward: (client: Client, packet: AedesPublishPacket): AedesPublishPacket | null => {
      // QoS 0 for a subscriber that cannot keep up (kernel buffer full and the socket buffer past its
      // high-water mark) is shed, as Mosquitto does, rather than buffered: aedes completes a publish only
      // once every delivery is written, so the backlog would hold every publisher back. QoS ≥ 1 is never
      // shed. (The lean core paces publishers first and sheds only after 500 ms: lean-client.ts `deliver`.)
      if (packet.qos === 0 && (client.conn as { writableNeedDrain?: boolean }).writableNeedDrain) {
        shed++;
        return null;
      }
      if (!forward) return packet;
      return (forward(client as unknown as CoreClient, packet as unknown as CorePublishPacket) ?? null) as unknown as AedesPublishPacket | null;
    },
    ...(opts.published && { published: opts.published as never }),
  });
  // A QoS 1 PUBACK only once the message is stored (see aedes-internals.ts, 4).
  ackAfterPublish(aedes);
  const maxPacketBytes = opts.maxPacketBytes;
  const inbound = opts.inbound;
  return {
    get id() {
      return aedes.id;
    },
    kind: 'aedes',
    get shedCount() {
      return shed;
    },
    handle(conn: Connection, req?: IncomingMessage): CoreClient {
      const client = aedes.handle(conn as never, req as never);
      const core = client as unknown as CoreClient;
      attachInbound(
        client,
        (p) => inbound?.(core, p as Record<string, unknown>),
        () => (maxPacketBytes ? maxPacketBytes(core) : DEFAULT_MAX_PACKET),
      );
      return core;
    },
    publish(packet: CorePublishPacket, done) {
      aedes.publish(packet as PublishPacket, (err) => done(err ?? null));
    },
    disconnectedGracefully(client: CoreClient): boolean {
      return (client as unknown as { _disconnected?: boolean })._disconnected === true;
    },
    on<E extends keyof CoreEvents>(event: E, listener: (...args: CoreEvents[E]) => void) {
      return aedes.on(event as never, listener as never);
    },
    close(done?: () => void) {
      aedes.close(() => done?.());
    },
  };
}
