import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** Inbound QoS 2 publishes received but not yet released (PUBREC sent, PUBREL awaited). */
@Entity('mqtt_incoming')
@Index('ix_mqtt_incoming_created', ['createdAt'])
export class MqttIncomingEntity {
  @PrimaryColumn({ type: 'text' })
  clientId: string;

  @PrimaryColumn({ type: 'integer' })
  messageId: number;

  @Column({ type: 'jsonb' })
  header: Record<string, unknown>;

  @Column({ type: 'bytea', nullable: true })
  payload: Buffer | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
