/**
 * Tenant isolation by namespacing (design §1.4 "instances are isolated").
 *
 * Inside aedes every topic, filter and ClientId carries its instance: a device of `mqtt-a` publishing
 * `T/x` becomes `~mqtt-a/T/x` in the emitter, the retained store, the offline queues and the wills; its
 * ClientId `GID_x@@@1` becomes `mqtt-a/GID_x@@@1`. We chose rewriting over filtering forwards per
 * client because filtering cannot isolate what aedes keys by topic or ClientId alone: two instances'
 * retained messages on the same topic would overwrite each other, and the same ClientId in two instances
 * would take each other's session over. With the prefix, every aedes structure is partitioned for free
 * and `authorizeForward` only strips the prefix on the way out.
 *
 * The `~` is not a legal character of a parent topic ([0-9A-Za-z_-]), so a first level starting with
 * `~` is never a device topic: it marks our internal spaces:
 *   `~<instance>/<topic>`                    ordinary topics
 *   `~<instance>/~p2p/<ClientId>/<topic>`    P2P messages for one client (no device filter can match them,
 *                                            since device filters always start with a parent topic)
 *   `~<instance>/~denied`                    what a denied subscription is renamed to (matches nothing)
 *   `~<instance>/~sink`                      where consumed system publishes go (nobody subscribes)
 * Pure functions only: this file is on the hot path.
 */
export const P2P_LEVEL = 'p2p';

export function instancePrefix(instanceId: string): string {
  return `~${instanceId}/`;
}

export function nsTopic(instanceId: string, topic: string): string {
  return `~${instanceId}/${topic}`;
}

export function nsClientId(instanceId: string, clientId: string): string {
  return `${instanceId}/${clientId}`;
}

/** Where P2P messages for `clientId` live internally (prefix of the internal topic). */
export function p2pPrefix(instanceId: string, clientId: string): string {
  return `~${instanceId}/~p2p/${clientId}/`;
}

/** The implicit subscription every client holds on its own P2P space. */
export function p2pFilter(instanceId: string, clientId: string): string {
  return `${p2pPrefix(instanceId, clientId)}#`;
}

/** The filter a denied subscription is rewritten to, so aedes never stores the real one. */
export function deniedFilter(instanceId: string): string {
  return `~${instanceId}/~denied`;
}

/** Where a consumed system publish is routed: a topic no subscription (denied ones included) matches. */
export function sinkTopic(instanceId: string): string {
  return `~${instanceId}/~sink`;
}

/** The device-visible topic of an internal one, or undefined when it is not in `instanceId`'s space. */
export function stripInstance(instanceId: string, internal: string): string | undefined {
  const prefix = instancePrefix(instanceId);
  return internal.startsWith(prefix) ? internal.slice(prefix.length) : undefined;
}

/**
 * The target ClientId of a P2P topic `<parent>/p2p/<ClientId>[/…]`, else undefined. Levels after the
 * ClientId are tolerated and stay private to the target too.
 */
export function p2pTarget(topic: string): string | undefined {
  const first = topic.indexOf('/');
  if (first === -1) return undefined;
  const second = topic.indexOf('/', first + 1);
  if (second === -1 || topic.slice(first + 1, second) !== P2P_LEVEL) return undefined;
  const third = topic.indexOf('/', second + 1);
  const target = third === -1 ? topic.slice(second + 1) : topic.slice(second + 1, third);
  return target.length > 0 ? target : undefined;
}

/** Username `<Mode>|<KeyId>|<InstanceId>` (reference §3.5). */
export interface DeviceUsername {
  mode: string;
  keyId: string;
  instanceId: string;
}

export function parseUsername(username: string | undefined): DeviceUsername | undefined {
  if (!username) return undefined;
  const parts = username.split('|');
  if (parts.length !== 3 || parts.some((p) => p.length === 0 || p.length > 128)) return undefined;
  // The instance id ends up inside internal topics and ClientIds: refuse anything that could break them.
  if (!/^[0-9A-Za-z_-]+$/.test(parts[2]!)) return undefined;
  return { mode: parts[0]!, keyId: parts[1]!, instanceId: parts[2]! };
}
