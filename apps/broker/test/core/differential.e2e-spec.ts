import {
  ack,
  CORE_KINDS,
  closeAll,
  type ConnectOptions,
  connectPacket,
  type CoreKind,
  type Outgoing,
  publishPacket,
  QUIET_MS,
  RawClient,
  type Received,
  sleep,
  startCore,
  WAIT_MS,
} from './core-harness.js';

/**
 * Differential test: scripted multi-client scenarios run once on each core; every client's transcript
 * (every packet it received, all fields, in order, plus the moment its connection closed) must be the
 * same on both.
 *
 * The scripts are sequential: each step waits for the packets it causes (`expect`, per client) before
 * the next one starts, so the order across steps is fixed by the script, not by either core's timing.
 * They stay clear of the known aedes deviations (AEDES_DEVIATIONS in core-harness.ts: QoS 1 wildcard
 * subscriptions, overlapping subscriptions of different QoS, DUP on resend, $ topics...) — each of those is
 * asserted on its own in the conformance files, and a differential over them would only restate it.
 *
 * Normalisation, all of it (applied to both cores alike):
 * 1. Packet identifiers the core chooses — on PUBLISH and PUBREL it sends — are renumbered per client
 *    (across its reconnections) in order of first appearance. aedes starts every connection at a random
 *    identifier; 3.1.1 only asks for non-zero identifiers not in use [MQTT-2.3.1-1, -2]. Renumbering keeps
 *    which packets share an identifier, so "PUBREL for that PUBLISH" and "resent under its identifier"
 *    are still compared. Identifiers the client chose (in PUBACK, PUBREC, PUBCOMP, SUBACK, UNSUBACK) are
 *    compared as they are.
 * 2. A run of consecutive retained PUBLISHes (RETAIN=1) to one client is sorted by topic: the order in which
 *    the retained messages matching a SUBSCRIBE are sent is not specified (§3.3.1.3). Sorting happens
 *    before renumbering, so the identifiers follow the sorted order.
 * 3. Which step a packet arrived in is kept for the messages but not compared: a core may route a QoS 2
 *    message on PUBLISH or on PUBREL (§4.3.3), and the steps that send both wait for either.
 * Nothing else: the acknowledgements the clients send are the script, not the transcript.
 */

type Step =
  | { open: string; connect: ConnectOptions; expect?: Record<string, number> }
  | { send: string; packets: Outgoing[]; expect?: Record<string, number> }
  | { drop: string; expect?: Record<string, number> }
  | { disconnect: string; expect?: Record<string, number> }
  /** The client acknowledges, in one write, everything it received and has not acknowledged yet. */
  | { ackAll: string; expect?: Record<string, number> };

interface Scenario {
  name: string;
  /** Clients that do not acknowledge what they receive (the others answer PUBACK / PUBREC / PUBCOMP). */
  silent?: string[];
  steps: Step[];
}

/**
 * `expect` in a step: how many packets each client must have received, beyond those earlier steps
 * already waited for, before the next step starts (bounded by WAIT_MS). A packet that came early (a QoS 2
 * message routed on PUBLISH rather than PUBREL) counts for the step that waits for it.
 */
interface Entry {
  step: number;
  packet: Received | { cmd: '(connection closed)' };
}

const sub = (messageId: number, ...subs: [string, 0 | 1 | 2][]): Outgoing => ({ cmd: 'subscribe', messageId, subscriptions: subs.map(([topic, qos]) => ({ topic, qos })) });
const unsub = (messageId: number, ...topics: string[]): Outgoing => ({ cmd: 'unsubscribe', messageId, unsubscriptions: topics });

const scenarios: Scenario[] = [
  {
    name: 'mixed QoS fan-out to exact and wildcard subscribers',
    steps: [
      { open: 's0', connect: { clientId: 's0' } },
      { send: 's0', packets: [sub(1, ['t/a', 0])], expect: { s0: 1 } },
      { open: 's1', connect: { clientId: 's1' } },
      { send: 's1', packets: [sub(1, ['t/a', 1], ['t/b', 1])], expect: { s1: 1 } },
      { open: 's2', connect: { clientId: 's2' } },
      { send: 's2', packets: [sub(7, ['t/+', 2])], expect: { s2: 1 } },
      { open: 'all', connect: { clientId: 'all' } },
      { send: 'all', packets: [sub(2, ['#', 0])], expect: { all: 1 } },
      { open: 'p', connect: { clientId: 'p' } },
      { send: 'p', packets: [publishPacket('t/a', 'qos0')], expect: { s0: 1, s1: 1, s2: 1, all: 1 } },
      { send: 'p', packets: [publishPacket('t/a', 'qos1', { qos: 1, messageId: 10 })], expect: { p: 1, s0: 1, s1: 1, s2: 1, all: 1 } },
      // A core may route a QoS 2 message on PUBLISH or on PUBREL (§4.3.3): the subscribers' packets are
      // awaited after the PUBREL, whichever step they came in. s2 gets PUBLISH and, after its PUBREC, PUBREL.
      { send: 'p', packets: [publishPacket('t/a', 'qos2', { qos: 2, messageId: 11 })], expect: { p: 1 } },
      { send: 'p', packets: [ack('pubrel', 11)], expect: { p: 1, s0: 1, s1: 1, s2: 2, all: 1 } },
      { send: 'p', packets: [publishPacket('t/b', 'b', { qos: 2, messageId: 12 })], expect: { p: 1 } },
      { send: 'p', packets: [ack('pubrel', 12)], expect: { p: 1, s1: 1, s2: 2, all: 1 } },
      { send: 'p', packets: [publishPacket('t/a/deeper', 'not for t/+', { qos: 1, messageId: 13 })], expect: { p: 1, all: 1 } },
      { disconnect: 'p' },
    ],
  },
  {
    name: 'retained messages: stored, replaced, cleared, sent on SUBSCRIBE',
    steps: [
      { open: 'p', connect: { clientId: 'p' } },
      { send: 'p', packets: [publishPacket('r/1', 'one', { qos: 1, retain: true, messageId: 1 })], expect: { p: 1 } },
      { send: 'p', packets: [publishPacket('r/2', 'two', { retain: true })] },
      { send: 'p', packets: [publishPacket('r/3', 'three', { qos: 2, retain: true, messageId: 2 })], expect: { p: 1 } },
      { send: 'p', packets: [ack('pubrel', 2)], expect: { p: 1 } },
      { send: 'p', packets: [publishPacket('r/2', 'two again', { qos: 1, retain: true, messageId: 3 })], expect: { p: 1 } },
      { send: 'p', packets: [publishPacket('r/3', '', { qos: 1, retain: true, messageId: 4 })], expect: { p: 1 } },
      { open: 'late', connect: { clientId: 'late' } },
      { send: 'late', packets: [sub(1, ['r/+', 2])], expect: { late: 3 } },
      { open: 'exact', connect: { clientId: 'exact' } },
      { send: 'exact', packets: [sub(1, ['r/2', 0], ['r/1', 1])], expect: { exact: 3 } },
      // Live deliveries of a retained message: RETAIN=0.
      { send: 'p', packets: [publishPacket('r/1', 'live', { qos: 1, retain: true, messageId: 5 })], expect: { p: 1, late: 1, exact: 1 } },
      { send: 'late', packets: [sub(2, ['r/+', 2])], expect: { late: 3 } },
    ],
  },
  {
    name: 'wildcards, overlapping filters of one QoS, unsubscribe',
    steps: [
      { open: 's', connect: { clientId: 's' } },
      { send: 's', packets: [sub(1, ['w/+/x', 0], ['w/#', 0], ['+', 0])], expect: { s: 1 } },
      { open: 'p', connect: { clientId: 'p' } },
      { send: 'p', packets: [publishPacket('w/a/x', '1')], expect: { s: 1 } },
      { send: 'p', packets: [publishPacket('w//x', '2')], expect: { s: 1 } },
      { send: 'p', packets: [publishPacket('w', '3')], expect: { s: 1 } },
      { send: 'p', packets: [publishPacket('top', '4')], expect: { s: 1 } },
      { send: 's', packets: [unsub(2, 'w/#')], expect: { s: 1 } },
      { send: 'p', packets: [publishPacket('w/a/x', '5')], expect: { s: 1 } },
      { send: 'p', packets: [publishPacket('w/a/y', 'not any more')] },
      { send: 's', packets: [unsub(3, 'w/+/x', '+')], expect: { s: 1 } },
      { send: 'p', packets: [publishPacket('w/a/x', 'not any more'), publishPacket('top', 'not any more')] },
      { send: 'p', packets: [{ cmd: 'pingreq' }], expect: { p: 1 } },
    ],
  },
  {
    name: 'persistent session: queued while away, resumed, then wiped by clean=true',
    // Acknowledges in ackAll steps only: auto-acknowledging during the burst of queued messages would race
    // the PUBREL for b1 against the rest of the burst.
    silent: ['d'],
    steps: [
      { open: 'd', connect: { clientId: 'durable', clean: false } },
      { send: 'd', packets: [sub(1, ['s/a', 1], ['s/b', 2], ['s/c', 0])], expect: { d: 1 } },
      { disconnect: 'd' },
      { open: 'p', connect: { clientId: 'p' } },
      { send: 'p', packets: [publishPacket('s/a', 'a1', { qos: 1, messageId: 1 })], expect: { p: 1 } },
      { send: 'p', packets: [publishPacket('s/b', 'b1', { qos: 2, messageId: 2 })], expect: { p: 1 } },
      { send: 'p', packets: [ack('pubrel', 2)], expect: { p: 1 } },
      { send: 'p', packets: [publishPacket('s/a', 'a2', { qos: 1, messageId: 3 })], expect: { p: 1 } },
      { send: 'p', packets: [publishPacket('s/a', 'qos0, not queued'), publishPacket('s/c', 'qos0 subscription, not queued', { qos: 1, messageId: 4 })], expect: { p: 1 } },
      // CONNACK, a1, b1, a2; then, once all three are acknowledged together, the PUBREL for b1.
      { open: 'd', connect: { clientId: 'durable', clean: false }, expect: { d: 4 } },
      { ackAll: 'd', expect: { d: 1 } },
      { ackAll: 'd' },
      { send: 'p', packets: [publishPacket('s/c', 'live', { qos: 1, messageId: 5 })], expect: { p: 1, d: 1 } },
      { drop: 'd' },
      { send: 'p', packets: [publishPacket('s/a', 'a3', { qos: 1, messageId: 6 })], expect: { p: 1 } },
      { open: 'd', connect: { clientId: 'durable', clean: true }, expect: { d: 1 } },
      { send: 'p', packets: [publishPacket('s/a', 'a4', { qos: 1, messageId: 7 })], expect: { p: 1 } },
      { disconnect: 'd' },
      { open: 'd', connect: { clientId: 'durable', clean: false }, expect: { d: 1 } },
      { send: 'd', packets: [{ cmd: 'pingreq' }], expect: { d: 1 } },
    ],
  },
  {
    name: 'wills and takeover',
    steps: [
      { open: 'watch', connect: { clientId: 'watch' } },
      { send: 'watch', packets: [sub(1, ['will/#', 2])], expect: { watch: 1 } },
      { open: 'a', connect: { clientId: 'a', will: { topic: 'will/a', payload: 'a lost', qos: 1 } } },
      { drop: 'a', expect: { watch: 1 } },
      { open: 'b', connect: { clientId: 'b', will: { topic: 'will/b', payload: 'b left', qos: 2 } } },
      { disconnect: 'b' },
      { open: 'c', connect: { clientId: 'c', will: { topic: 'will/c', payload: 'c taken over', qos: 2, retain: true } } },
      // The second 'c' takes over: the first is closed and its will published (PUBLISH + PUBREL to watch).
      { open: 'c2', connect: { clientId: 'c' }, expect: { c2: 1, watch: 2 } },
      { open: 'late', connect: { clientId: 'late' } },
      // An exact filter: a QoS 0 wildcard one would meet aedes' retainedWildcardQos deviation.
      { send: 'late', packets: [sub(1, ['will/c', 0])], expect: { late: 2 } },
    ],
  },
];

interface Run {
  transcripts: Record<string, Entry[]>;
  /** Steps whose `expect` was not met within WAIT_MS. */
  timedOut: string[];
}

/** Runs a scenario on one core; returns each client's transcript. */
async function run(kind: CoreKind, scenario: Scenario): Promise<Run> {
  const b = await startCore(kind);
  const clients = new Map<string, RawClient>();
  const transcripts: Record<string, Entry[]> = {};
  /** Per client: packets received and not acknowledged yet (for ackAll). */
  const unacked = new Map<string, Received[]>();
  const accounted = new Map<string, number>();
  const timedOut: string[] = [];
  let step = 0;
  const received = (name: string): number => transcripts[name]?.filter((e) => e.packet.cmd !== '(connection closed)').length ?? 0;
  try {
    for (step = 0; step < scenario.steps.length; step++) {
      const s = scenario.steps[step];
      if ('open' in s) {
        const c = await RawClient.open(b.port, s.open);
        const name = s.open;
        clients.set(name, c);
        const log = (transcripts[name] ??= []);
        unacked.set(name, []);
        c.onPacket = (p) => {
          log.push({ step, packet: p });
          if (scenario.silent?.includes(name)) unacked.get(name)!.push(p);
          else c.send(...answer(p));
        };
        void c.closed(60_000).then(
          () => log.push({ step, packet: { cmd: '(connection closed)' } }),
          () => undefined,
        );
        c.send(connectPacket(s.connect));
      } else if ('send' in s) {
        clients.get(s.send)!.send(...s.packets);
      } else if ('ackAll' in s) {
        const pending = unacked.get(s.ackAll)!.splice(0);
        clients.get(s.ackAll)!.send(...pending.flatMap(answer));
      } else if ('drop' in s) {
        clients.get(s.drop)!.drop();
        await clients.get(s.drop)!.closed();
      } else {
        await clients.get(s.disconnect)!.disconnect();
      }
      // The CONNACK of every open is awaited too.
      const want: Record<string, number> = { ...('open' in s && { [s.open]: 1 }), ...s.expect };
      const deadline = Date.now() + WAIT_MS;
      const short = (): string[] => Object.entries(want).filter(([name, n]) => received(name) - (accounted.get(name) ?? 0) < n).map(([name]) => name);
      while (short().length > 0 && Date.now() < deadline) await sleep(5);
      if (short().length > 0) timedOut.push(`step ${step}: ${short().join(', ')}`);
      for (const [name, n] of Object.entries(want)) accounted.set(name, (accounted.get(name) ?? 0) + n);
    }
    step--;
    // Anything late or unexpected.
    await sleep(QUIET_MS);
    // A copy: closing the core below closes the connections, which is not part of the script.
    return { transcripts: Object.fromEntries(Object.entries(transcripts).map(([name, entries]) => [name, [...entries]])), timedOut };
  } finally {
    await b.close();
  }
}

/** What a client answers to a packet it received. */
function answer(p: Received): Outgoing[] {
  if (p.cmd === 'publish' && p.qos === 1) return [ack('puback', p.messageId!)];
  if (p.cmd === 'publish' && p.qos === 2) return [ack('pubrec', p.messageId!)];
  if (p.cmd === 'pubrel') return [ack('pubcomp', p.messageId!)];
  return [];
}

/** The normalisation described at the top of this file. */
function normalise(transcripts: Record<string, Entry[]>): Record<string, Entry[]> {
  const out: Record<string, Entry[]> = {};
  for (const [name, entries] of Object.entries(transcripts)) {
    const sorted: Entry[] = [];
    for (let i = 0; i < entries.length; ) {
      const isRetained = (e: Entry | undefined): boolean => e?.packet.cmd === 'publish' && (e.packet as Received).retain === true;
      let j = i;
      while (isRetained(entries[j])) j++;
      if (j > i) {
        sorted.push(...entries.slice(i, j).sort((x, y) => ((x.packet as Received).topic! < (y.packet as Received).topic! ? -1 : 1)));
        i = j;
      } else sorted.push(entries[i++]);
    }
    const ids = new Map<number, number>();
    out[name] = sorted.map((e) => {
      const p = e.packet as Received;
      if ((p.cmd === 'publish' && p.qos! > 0) || p.cmd === 'pubrel') {
        if (!ids.has(p.messageId!)) ids.set(p.messageId!, ids.size + 1);
        return { step: e.step, packet: { ...p, messageId: ids.get(p.messageId!) } };
      }
      return e;
    });
  }
  return out;
}

describe('differential: the same scripts on every core give the same transcripts', () => {
  afterEach(closeAll);

  it.each(scenarios)('$name', async (scenario) => {
    const results = new Map<CoreKind, Record<string, Entry[]>>();
    const failures: string[] = [];
    for (const kind of CORE_KINDS) {
      try {
        results.set(kind, normalise((await run(kind, scenario)).transcripts));
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    if (failures.length > 0) throw new Error(`cannot compare the cores: ${failures.join('; ')}`);
    const packets = (kind: CoreKind): Record<string, unknown[]> =>
      Object.fromEntries(Object.entries(results.get(kind)!).map(([name, entries]) => [name, entries.map((e) => e.packet)]));
    // aedes is the reference; on a difference, the step of each packet is in the transcripts printed below.
    for (const kind of CORE_KINDS.filter((k) => k !== 'aedes')) {
      const same = JSON.stringify(packets(kind)) === JSON.stringify(packets('aedes'));
      if (!same) console.log(`${scenario.name}\n${kind}: ${JSON.stringify(results.get(kind))}\naedes: ${JSON.stringify(results.get('aedes'))}`);
      expect({ core: kind, transcripts: packets(kind) }).toEqual({ core: kind, transcripts: packets('aedes') });
    }
  });
});

/** The reference run, checked on its own so the scripts stay meaningful while a core is missing. */
describe('differential: the aedes run is what the scripts intend', () => {
  afterEach(closeAll);

  it.each(scenarios)('$name', async (scenario) => {
    const { transcripts, timedOut } = await run('aedes', scenario);
    // Every wait was met, and no client received more than the script waited for.
    const want = new Map<string, number>();
    for (const s of scenario.steps) {
      for (const [name, n] of Object.entries({ ...('open' in s && { [s.open]: 1 }), ...s.expect })) want.set(name, (want.get(name) ?? 0) + n);
    }
    const got = Object.fromEntries(Object.entries(transcripts).map(([name, entries]) => [name, entries.filter((e) => e.packet.cmd !== '(connection closed)').length]));
    expect({ timedOut, got }).toEqual({ timedOut: [], got: Object.fromEntries(want) });
  });
});
