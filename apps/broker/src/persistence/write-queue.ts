import type pg from 'pg';

/** One row of mqtt_outgoing, already encoded (see packet-codec.ts). */
export interface OutgoingRow {
  clientId: string;
  brokerId: string | null;
  brokerCounter: number | null;
  messageId: number | null;
  header: string;
  payload: Buffer | null;
}

type Job =
  | { kind: 'sql'; run: (db: pg.ClientBase) => Promise<unknown>; resolve: (v: unknown) => void; reject: (e: unknown) => void }
  | { kind: 'outgoing'; rows: OutgoingRow[]; resolve: (v: unknown) => void; reject: (e: unknown) => void };

/** Upper bound of jobs committed together, so one transaction stays short. */
const MAX_BATCH = 500;

/**
 * Every write of the persistence goes through here, in call order, one transaction (group commit) per
 * batch of whatever queued up while the previous batch was committing.
 *
 * Why serial: aedes applies persistence calls to its in-memory state in call order (a SUBSCRIBE then an
 * UNSUBSCRIBE, two retained publishes on one topic, a will put by a new connection and deleted by the old
 * one…) without always awaiting one before issuing the next. Running them on a pool would let PostgreSQL
 * apply them in another order and a restart would resurrect the wrong state. Why batched: one commit
 * (one WAL flush) per batch instead of per write, and consecutive offline enqueues become one INSERT.
 *
 * A failing batch is rolled back and its jobs re-run one by one, so a single bad write (e.g. a NUL byte
 * PostgreSQL refuses in text) fails alone instead of taking the writes of other clients with it.
 */
export class WriteQueue {
  private jobs: Job[] = [];
  private draining: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly pool: pg.Pool) {}

  /** Runs `fn` inside the next batch's transaction; resolves with its result once committed. */
  run<T>(fn: (db: pg.ClientBase) => Promise<T>): Promise<T> {
    return this.push((resolve, reject) => ({ kind: 'sql', run: fn, resolve, reject })) as Promise<T>;
  }

  /** Inserts offline-queue rows; consecutive calls in one batch become a single multi-row INSERT. */
  insertOutgoing(rows: OutgoingRow[]): Promise<void> {
    return this.push((resolve, reject) => ({ kind: 'outgoing', rows, resolve, reject })) as Promise<void>;
  }

  /** Stops accepting writes and waits for the queued ones to commit. */
  async close(): Promise<void> {
    this.closed = true;
    await this.draining;
  }

  private push(make: (resolve: (v: unknown) => void, reject: (e: unknown) => void) => Job): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('persistence destroyed'));
    return new Promise((resolve, reject) => {
      this.jobs.push(make(resolve, reject));
      this.draining ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    // Let the writes issued in the same event-loop turn join the first batch.
    try {
      await new Promise((resolve) => setImmediate(resolve));
      while (this.jobs.length > 0) {
        const batch = this.jobs.splice(0, MAX_BATCH);
        await this.flush(batch);
      }
    } finally {
      // Never leave the queue stalled behind a drain that threw; the next push starts a new one.
      this.draining = null;
      if (this.jobs.length > 0) {
        if (this.closed) for (const job of this.jobs.splice(0)) job.reject(new Error('persistence destroyed'));
        else this.draining = this.drain();
      }
    }
  }

  private async flush(batch: Job[]): Promise<void> {
    let db: pg.PoolClient;
    try {
      db = await this.pool.connect();
    } catch (err) {
      for (const job of batch) job.reject(err);
      return;
    }
    let broken: Error | undefined;
    try {
      const results = await this.runInTransaction(db, batch);
      batch.forEach((job, i) => job.resolve(results[i]));
      return;
    } catch {
      // Isolate the culprit: each job alone, in its own transaction.
      for (const job of batch) {
        try {
          const [result] = await this.runInTransaction(db, [job]);
          job.resolve(result);
        } catch (err) {
          job.reject(err);
          if (!isQueryError(err)) broken = err as Error;
        }
      }
    } finally {
      // A connection-level failure must not return the client to the pool.
      db.release(broken);
    }
  }

  private async runInTransaction(db: pg.ClientBase, jobs: Job[]): Promise<unknown[]> {
    const results: unknown[] = new Array(jobs.length);
    await db.query('BEGIN');
    try {
      for (let i = 0; i < jobs.length; ) {
        const job = jobs[i];
        if (job.kind === 'sql') {
          results[i] = await job.run(db);
          i++;
          continue;
        }
        const rows: OutgoingRow[] = [];
        while (i < jobs.length && jobs[i].kind === 'outgoing') {
          rows.push(...(jobs[i] as Extract<Job, { kind: 'outgoing' }>).rows);
          i++;
        }
        await insertOutgoingRows(db, rows);
      }
      await db.query('COMMIT');
      return results;
    } catch (err) {
      await db.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}

async function insertOutgoingRows(db: pg.ClientBase, rows: OutgoingRow[]): Promise<void> {
  if (rows.length === 0) return;
  // ORDER BY ord: the identity column must follow the enqueue order, which is the delivery order.
  await db.query(
    `INSERT INTO mqtt_outgoing (client_id, broker_id, broker_counter, message_id, header, payload)
     SELECT c, b, n, m, h::jsonb, p
       FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[], $5::text[], $6::bytea[])
            WITH ORDINALITY AS u(c, b, n, m, h, p, ord)
      ORDER BY ord`,
    [
      rows.map((r) => r.clientId),
      rows.map((r) => r.brokerId),
      rows.map((r) => r.brokerCounter),
      rows.map((r) => r.messageId),
      rows.map((r) => r.header),
      rows.map((r) => r.payload),
    ],
  );
}

/** An error PostgreSQL reported for a statement (the connection itself is still fine). */
function isQueryError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' && (err as { code: string }).code.length === 5;
}
