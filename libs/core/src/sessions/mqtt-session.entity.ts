import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * The last known state of each device session (online status, channel, IP, subscriptions), written by
 * the broker in batches off the hot path (session-writer.ts) and read by the session APIs
 * (QuerySessionByClientId, BatchQuerySessionByClientIds). One row per (instance, ClientId).
 */
@Entity('mqtt_sessions')
export class MqttSessionEntity {
  @PrimaryColumn({ type: 'varchar', length: 32, primaryKeyConstraintName: 'pk_mqtt_sessions' })
  instanceId: string;

  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_mqtt_sessions' })
  clientId: string;

  @Column({ type: 'boolean' })
  online: boolean;

  /** One per TCP/WebSocket connection. */
  @Column({ type: 'varchar', length: 64 })
  channelId: string;

  @Column({ type: 'varchar', length: 64 })
  clientIp: string;

  /** Broker worker holding (or last holding) the connection. */
  @Index('ix_mqtt_sessions_node')
  @Column({ type: 'varchar', length: 128 })
  nodeId: string;

  @Column({ type: 'timestamptz' })
  connectedAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  disconnectedAt: Date | null;

  /** Device-visible topic filters of the session. */
  @Column({ type: 'jsonb', default: () => `'[]'` })
  subscriptions: string[];

  @Column({ type: 'timestamptz' })
  updatedAt: Date;
}
