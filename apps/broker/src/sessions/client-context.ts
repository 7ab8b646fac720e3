import type { CoreClient as Client } from '../core/types.js';
import type { Principal } from '../auth/authenticators.js';

/**
 * Everything Aviary knows about one connection (one per TCP/WebSocket channel). Created when aedes
 * takes the socket; filled from the CONNECT packet as it is parsed; completed by authentication.
 */
export class ClientContext {
  instanceId?: string;
  /** Device-visible ClientId as sent in CONNECT (may be malformed until authenticated). */
  clientId = '';
  groupId = '';
  /** aedes' (namespaced) client id: `<instanceId>/<ClientId>`. */
  nsId = '';
  /** `~<instanceId>/`: prefix of every internal topic of this instance. */
  prefix = '';
  /** `~<instanceId>/~p2p/<ClientId>/`: prefix of the P2P messages addressed to this client. */
  p2pPrefix = '';
  principal?: Principal;
  /** Granted device filters (internal form), excluding the implicit P2P one: the subscription limit. */
  readonly filters = new Set<string>();
  /** Publishes of this client waiting for the instance's rate limiter (keeps per-client order). */
  rateWaiting = 0;
  /** The connect event went out (so a disconnect/tcpclean event must follow). */
  announced = false;
  connectSeen = false;
  /** Registered in the session registry (authenticated). */
  registered = false;
  closed = false;
  readonly connectedAt = Date.now();

  private cacheGeneration = -1;
  // Per-connection decision caches for publish and forward checks (policy regexes are not free). Any
  // configuration change bumps the index generation, which empties them on next use; they are bounded
  // so a client walking many distinct topics cannot grow them.
  /** Internal topic → where an allowed publish routes (itself, or the P2P target's space); absent: not decided or refused. */
  private readonly pubCache = new Map<string, string>();
  /** Internal topic → the device-visible topic this client may receive it as, or null. */
  private readonly fwdCache = new Map<string, string | null>();

  constructor(
    readonly client: Client,
    readonly channelId: string,
    readonly clientIp: string,
  ) {}

  /** Drops the cached decisions of this connection alone: its own rights changed (a token upload, a token ending). */
  forgetDecisions(): void {
    this.cacheGeneration = -1;
  }

  /**
   * A cached decision for an internal topic (`pub`: where this client's allowed publish routes; `fwd`: the
   * device-visible topic it may receive it as, or null), or undefined when there is none for this
   * configuration generation. Split from `remember` so a hit allocates nothing (no closure per message).
   */
  decision(kind: 'pub', topic: string, generation: number): string | undefined;
  decision(kind: 'fwd', topic: string, generation: number): string | null | undefined;
  decision(kind: 'pub' | 'fwd', topic: string, generation: number): string | null | undefined {
    if (generation !== this.cacheGeneration) {
      this.pubCache.clear();
      this.fwdCache.clear();
      this.cacheGeneration = generation;
      return undefined;
    }
    return kind === 'pub' ? this.pubCache.get(topic) : this.fwdCache.get(topic);
  }

  remember(kind: 'pub', topic: string, value: string): string;
  remember(kind: 'fwd', topic: string, value: string | null): string | null;
  remember(kind: 'pub' | 'fwd', topic: string, value: string | null): string | null {
    const cache: Map<string, unknown> = kind === 'pub' ? this.pubCache : this.fwdCache;
    if (cache.size >= 512) cache.clear();
    cache.set(topic, value);
    return value;
  }
}

const CONTEXT = Symbol('aviary.context');

export function contextOf(client: Client | null | undefined): ClientContext | undefined {
  return client ? (client as unknown as { [CONTEXT]?: ClientContext })[CONTEXT] : undefined;
}

export function setContext(client: Client, ctx: ClientContext): void {
  (client as unknown as { [CONTEXT]?: ClientContext })[CONTEXT] = ctx;
}
