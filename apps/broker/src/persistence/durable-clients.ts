/** The per-client tables of the persistence. */
export type DurableKind = 'subscriptions' | 'outgoing' | 'incoming' | 'will';

/**
 * Which ClientIds may have rows in each per-client table, so that the calls aedes makes for every client
 * (on CONNECT: cleanSubscriptions, delWill, cleanIncoming, outgoingStream; on every PUBACK:
 * outgoingClearMessageId; on close: cleanIncoming) are answered from memory, without a database round
 * trip, for the many clients that never stored anything.
 *
 * Invariant: for every ClientId with rows — once the writes issued so far are applied — `has()` is true.
 * `has()` may also be true for a client without rows (then the caller simply goes to the database), never
 * the reverse. It holds because the sets change synchronously, at the moment a write is issued, and the
 * write queue applies writes in issue order: adding before the INSERT is issued, deleting when the
 * DELETE that empties the table for that client is issued.
 *
 * Skipping a write must not answer earlier than the write would have: a client with no rows may still
 * have an earlier write in flight (say the DELETE of its last subscription), and aedes is entitled to
 * assume that what it was told is done is durable. `settled()` resolves once this client's writes issued
 * so far are committed, which is what a skipped write returns.
 */
export class DurableClients {
  private readonly sets: Record<DurableKind, Set<string>> = {
    subscriptions: new Set(),
    outgoing: new Set(),
    incoming: new Set(),
    will: new Set(),
  };

  /** Offline-queue enqueues issued per client; lets `outgoingStream` prove that none raced its query. */
  private readonly outgoingEpoch = new Map<string, number>();

  /** Per client with writes in flight: how many, and the promise of the last one issued. */
  private readonly pending = new Map<string, { count: number; last: Promise<void> }>();

  has(kind: DurableKind, clientId: string): boolean {
    return this.sets[kind].has(clientId);
  }

  add(kind: DurableKind, clientId: string): void {
    this.sets[kind].add(clientId);
    if (kind === 'outgoing') this.outgoingEpoch.set(clientId, (this.outgoingEpoch.get(clientId) ?? 0) + 1);
  }

  delete(kind: DurableKind, clientId: string): void {
    this.sets[kind].delete(clientId);
    if (kind === 'outgoing') this.outgoingEpoch.delete(clientId);
  }

  /** Counter of the enqueues issued for this client (see `forgetOutgoingIfUnchanged`). */
  outgoingEpochOf(clientId: string): number {
    return this.outgoingEpoch.get(clientId) ?? 0;
  }

  /**
   * The client's offline queue was found empty by a query issued when `epoch` was current and no write of
   * the client was in flight: if no enqueue was issued since, the queue is still empty and stays so until
   * the next enqueue, which adds the client back.
   */
  forgetOutgoingIfUnchanged(clientId: string, epoch: number): void {
    if (this.outgoingEpochOf(clientId) === epoch) this.delete('outgoing', clientId);
  }

  hasPending(clientId: string): boolean {
    return this.pending.has(clientId);
  }

  /**
   * Registers a write of this client (already issued to the write queue) until it settles. Writes settle
   * in issue order (one serial queue), so the last one issued stands for all of them.
   */
  track<T>(clientId: string, write: Promise<T>): Promise<T> {
    const done = write.then(
      () => undefined,
      () => undefined,
    );
    const entry = this.pending.get(clientId);
    if (entry) {
      entry.count++;
      entry.last = done;
    } else {
      this.pending.set(clientId, { count: 1, last: done });
    }
    void done.then(() => {
      const e = this.pending.get(clientId);
      if (e && --e.count === 0) this.pending.delete(clientId);
    });
    return write;
  }

  /** Resolves when the writes of this client issued so far have settled (at once when there are none). */
  settled(clientId: string): Promise<void> {
    return this.pending.get(clientId)?.last ?? Promise.resolve();
  }

  /** Sizes, for tests and metrics. */
  sizes(): Record<DurableKind | 'pending', number> {
    return {
      subscriptions: this.sets.subscriptions.size,
      outgoing: this.sets.outgoing.size,
      incoming: this.sets.incoming.size,
      will: this.sets.will.size,
      pending: this.pending.size,
    };
  }
}
