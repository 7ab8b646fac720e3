import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The offline / in-flight queue of a durable session: QoS 1/2 publishes (and the PUBRELs replacing them)
 * for one client, in delivery order (`id`). Rows older than the message expiry are swept.
 */
@Entity('mqtt_outgoing')
@Index('ix_mqtt_outgoing_client', ['clientId', 'id'])
@Index('ix_mqtt_outgoing_created', ['createdAt'])
export class MqttOutgoingEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column({ type: 'text' })
  clientId: string;

  /** aedes' (brokerId, brokerCounter) identifies a publish until it is given a messageId. */
  @Column({ type: 'text', nullable: true })
  brokerId: string | null;

  @Column({ type: 'bigint', nullable: true })
  brokerCounter: string | null;

  @Column({ type: 'integer', nullable: true })
  messageId: number | null;

  @Column({ type: 'jsonb' })
  header: Record<string, unknown>;

  @Column({ type: 'bytea', nullable: true })
  payload: Buffer | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
