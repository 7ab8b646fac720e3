import pg from 'pg';

export interface PgListenerOptions {
  url: string;
  channels: string[];
  onNotification(channel: string, payload: string | undefined): void;
  /** Called after every (re)connection once LISTEN is active — reload state missed while disconnected. */
  onListening?(): Promise<void> | void;
  onError?(message: string): void;
  /** Backoff between reconnect attempts, ms. */
  retryMs?: number;
}

/**
 * A dedicated PostgreSQL connection that LISTENs on some channels and survives connection loss: it
 * reconnects with a fixed backoff and calls `onListening` again, so the owner can resynchronise.
 * LISTEN is active before `start()` resolves, so nothing sent after that is missed.
 */
export class PgListener {
  private client?: pg.Client;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly opts: PgListenerOptions) {}

  /** True while LISTEN is active; state derived from notifications is only trustworthy then. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  async start(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.opts.url });
    client.on('notification', (n) => this.opts.onNotification(n.channel, n.payload));
    client.on('error', (e) => this.lost(client, e));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    await client.connect();
    for (const ch of this.opts.channels) await client.query(`LISTEN ${pg.escapeIdentifier(ch)}`);
    if (this.closed) {
      await client.end();
      return;
    }
    this.client = client;
    await this.opts.onListening?.();
  }

  private lost(client: pg.Client, e: Error): void {
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    this.opts.onError?.(`listener lost (${e.message}); reconnecting`);
    const retry = () => {
      this.timer = setTimeout(() => {
        if (this.closed) return;
        this.connect().catch((err: Error) => {
          this.opts.onError?.(`listener reconnect failed: ${err.message}`);
          retry();
        });
      }, this.opts.retryMs ?? 1000);
    };
    retry();
  }
}
