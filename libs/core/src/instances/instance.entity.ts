import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Per-instance limits; defaults mirror the Alibaba reference where it gives one (§3.3, §3.4). */
export const DEFAULT_LIMITS = {
  maxConnections: 10000,
  maxMessagesPerSecond: 5000,
  maxPayloadBytes: 64 * 1024,
  maxSubscriptionsPerClient: 30,
  maxParentTopics: 25,
  maxGroups: 100,
  sessionExpirySeconds: 3 * 24 * 3600,
} as const;

export type InstanceLimits = { -readonly [K in keyof typeof DEFAULT_LIMITS]: number };

@Entity('instances')
export class InstanceEntity {
  /** `mqtt-` + 12 lowercase alphanumerics. */
  @PrimaryColumn({ type: 'varchar', length: 32 })
  id: string;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  /** Lower-cased name: instance names are unique case-insensitively (reference §0). */
  @Index('uq_instances_name_key', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  nameKey: string;

  @Column({ type: 'varchar', length: 256, default: '' })
  remark: string;

  @Column({ type: 'varchar', length: 16, default: 'RUNNING' })
  status: string;

  @Column({ type: 'int', default: DEFAULT_LIMITS.maxConnections })
  maxConnections: number;

  @Column({ type: 'int', default: DEFAULT_LIMITS.maxMessagesPerSecond })
  maxMessagesPerSecond: number;

  @Column({ type: 'int', default: DEFAULT_LIMITS.maxPayloadBytes })
  maxPayloadBytes: number;

  @Column({ type: 'int', default: DEFAULT_LIMITS.maxSubscriptionsPerClient })
  maxSubscriptionsPerClient: number;

  @Column({ type: 'int', default: DEFAULT_LIMITS.maxParentTopics })
  maxParentTopics: number;

  @Column({ type: 'int', default: DEFAULT_LIMITS.maxGroups })
  maxGroups: number;

  @Column({ type: 'int', default: DEFAULT_LIMITS.sessionExpirySeconds })
  sessionExpirySeconds: number;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
