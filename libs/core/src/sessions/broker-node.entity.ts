import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Liveness of each broker worker: a heartbeat every few seconds. A session row claims `online` only
 * while its worker's heartbeat is fresh, so a worker killed with -9 does not leave its devices "online"
 * in the session APIs forever.
 */
@Entity('broker_nodes')
export class BrokerNodeEntity {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  nodeId: string;

  @Column({ type: 'timestamptz' })
  startedAt: Date;

  @Column({ type: 'timestamptz' })
  lastSeenAt: Date;
}

/** Heartbeat period of a worker, and how stale a heartbeat may be before its sessions count as offline. */
export const NODE_HEARTBEAT_MS = 3000;
export const NODE_STALE_AFTER_MS = 10_000;
