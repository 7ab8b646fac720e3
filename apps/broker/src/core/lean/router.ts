import { Qlobber } from 'qlobber';

/** One client's subscription as the router holds it. */
export interface Route<C> {
  client: C;
  filter: string;
  qos: 0 | 1 | 2;
}

/** A subscriber of one message: each client once, at the highest QoS of its matching subscriptions. */
export interface Recipient<C> {
  client: C;
  qos: 0 | 1 | 2;
}

/** Entries kept in the topic → recipients cache before it is emptied (a client walking topics cannot grow it). */
const CACHE_LIMIT = 10_000;

/**
 * Topic → subscribers, for local delivery: qlobber's trie (the matcher aedes and mqemitter use) in front
 * of a cache of the deduplicated recipient list per topic, since the same few topics carry most traffic.
 * Any subscription change empties the cache. Wildcards at the first level never match `$` topics
 * [MQTT-4.7.2-1]. A client matching one message through several filters gets it once, at the highest of
 * their QoS (3.1.1 §3.3.5 allows one copy).
 */
export class Router<C> {
  private readonly trie = new Qlobber<Route<C>>({ separator: '/', wildcard_one: '+', wildcard_some: '#', match_empty_levels: true });
  private readonly cache = new Map<string, Recipient<C>[]>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(route: Route<C>): void {
    this.trie.add(route.filter, route);
    this.count++;
    this.cache.clear();
  }

  remove(route: Route<C>): void {
    this.trie.remove(route.filter, route);
    this.count--;
    this.cache.clear();
  }

  /** A route's QoS changed in place. */
  changed(): void {
    this.cache.clear();
  }

  match(topic: string): Recipient<C>[] {
    let hit = this.cache.get(topic);
    if (hit !== undefined) return hit;
    const routes = this.trie.match(topic);
    const dollar = topic.charCodeAt(0) === 0x24; /* $ */
    hit = [];
    let seen: Map<C, Recipient<C>> | undefined;
    for (const r of routes) {
      if (dollar && (r.filter.charCodeAt(0) === 0x2b /* + */ || r.filter.charCodeAt(0) === 0x23) /* # */) continue;
      if (routes.length > 1) {
        seen ??= new Map();
        const prev = seen.get(r.client);
        if (prev) {
          if (r.qos > prev.qos) prev.qos = r.qos;
          continue;
        }
        const rec = { client: r.client, qos: r.qos };
        seen.set(r.client, rec);
        hit.push(rec);
      } else {
        hit.push({ client: r.client, qos: r.qos });
      }
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(topic, hit);
    return hit;
  }
}
