import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** The retained message of a topic (an empty payload deletes the row, MQTT-3.3.1-10). */
@Entity('mqtt_retained')
export class MqttRetainedEntity {
  @PrimaryColumn({ type: 'text' })
  topic: string;

  /** Packet fields other than the payload, see packet-codec.ts. */
  @Column({ type: 'jsonb' })
  header: Record<string, unknown>;

  @Column({ type: 'bytea', nullable: true })
  payload: Buffer | null;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
