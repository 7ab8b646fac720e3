/**
 * MQTT topic names and filters (MQTT 3.1.1 §4.7), without any framework: this file is shared by the
 * control plane (validating token resources, rule sources) and the broker's hot path.
 */

/** First level of a topic or filter: the Alibaba "parent topic". */
export function parentOf(topic: string): string {
  const slash = topic.indexOf('/');
  return slash === -1 ? topic : topic.slice(0, slash);
}

/** A topic name a client may publish to: non-empty, no wildcards, no NUL [MQTT-4.7.3-1, 4.7.3-2]. */
export function isValidTopicName(topic: string): boolean {
  if (topic.length === 0 || topic.length > 65535) return false;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === 0x23 /* # */ || c === 0x2b /* + */ || c === 0) return false;
  }
  return true;
}

/** A subscription filter: `#` only as the whole last level, `+` only as a whole level [MQTT-4.7.1-2, 4.7.1-3]. */
export function isValidTopicFilter(filter: string): boolean {
  if (filter.length === 0 || filter.length > 65535 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) return false;
    if (level.includes('+') && level !== '+') return false;
  }
  return true;
}

/** Does `filter` match topic name `topic`? Wildcards at the first level never match `$` topics [MQTT-4.7.2-1]. */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true; // also matches the parent level itself: `a/#` matches `a`
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/**
 * Does `resource` (a filter) cover every topic that `filter` could match? Used for token and policy
 * checks on SUBSCRIBE: a filter broader than the granted resource is refused.
 */
export function filterCovers(resource: string, filter: string): boolean {
  const r = resource.split('/');
  const f = filter.split('/');
  for (let i = 0; i < r.length; i++) {
    const rl = r[i];
    if (rl === '#') return true;
    if (i >= f.length) return false;
    const fl = f[i];
    if (fl === '#') return false;
    if (rl === '+') continue;
    if (fl === '+' || fl !== rl) return false;
  }
  return r.length === f.length;
}
