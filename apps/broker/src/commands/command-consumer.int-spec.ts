import { randomLowerAlnum } from '../../../../libs/common/src/crypto.js';
import { createDataSource } from '../../../../libs/core/src/data-source.js';
import { InstanceEntity } from '../../../../libs/core/src/instances/instance.entity.js';
import { testDatabaseUrl } from '../../../../libs/testing/src/database.js';
import { CommandConsumer, type CommandTarget } from './command-consumer.js';

/** Two workers on one database, with recording targets: who publishes, who closes. */
describe('CommandConsumer', () => {
  const ds = () => createDataSource(process.env.AVIARY_TEST_DATABASE_URL!, 2);
  let db: ReturnType<typeof ds>;
  let instanceId: string;

  beforeAll(async () => {
    await testDatabaseUrl();
    db = ds();
    await db.initialize();
  });

  async function freshInstance(): Promise<void> {
    instanceId = `mqtt-${randomLowerAlnum(12)}`;
    await db.getRepository(InstanceEntity).insert({ id: instanceId, name: `cc-${instanceId}`, nameKey: `cc-${instanceId}` });
  }
  afterAll(() => db.destroy());

  function recorder(): CommandTarget & { published: string[]; closed: string[] } {
    const r = {
      published: [] as string[],
      closed: [] as string[],
      // Other test files leave commands of their own instances in the shared database: count only ours.
      publish: async (i: string, topic: string, payload: Buffer) => void (i === instanceId && r.published.push(`${topic}:${payload.toString()}`)),
      disconnect: (i: string, clientId: string) => (i === instanceId && r.closed.push(clientId), true),
    };
    return r;
  }

  async function until(check: () => boolean, ms = 3000): Promise<void> {
    const end = Date.now() + ms;
    while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  }

  it.each([
    [true, 1],
    [false, 2],
  ])('clustered=%s: a publish is sent by %i worker(s); a close by every worker', async (clustered, publishers) => {
    const url = await testDatabaseUrl();
    await freshInstance();
    const a = recorder();
    const b = recorder();
    const log = { warn: () => undefined };
    const ca = new CommandConsumer(db, url, a, log, clustered);
    const cb = new CommandConsumer(db, url, b, log, clustered);
    await ca.start();
    await cb.start();
    try {
      const tag = `t${clustered}`;
      await db.query(`INSERT INTO broker_commands (type, instance_id, topic, payload, qos, msg_id) VALUES ('publish', $1, $2, $3, 1, 'X')`, [instanceId, `sensors/${tag}`, Buffer.from('hi')]);
      await db.query(`INSERT INTO broker_commands (type, instance_id, client_id) VALUES ('close', $1, $2)`, [instanceId, `GID_abc@@@${tag}`]);
      await until(() => a.closed.length + b.closed.length === 2 && a.published.length + b.published.length >= publishers);
      await new Promise((r) => setTimeout(r, 200)); // a wrong second publish would have arrived by now
      expect(a.published.length + b.published.length).toBe(publishers);
      expect([...a.published, ...b.published].every((p) => p === `sensors/${tag}:hi`)).toBe(true);
      expect(a.closed).toEqual([`GID_abc@@@${tag}`]);
      expect(b.closed).toEqual([`GID_abc@@@${tag}`]);
    } finally {
      await ca.close();
      await cb.close();
    }
  });
});
