import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * One durable (cleanSession=false) subscription, as aedes gives it to the persistence. Loaded into the
 * in-memory topic index at broker start; the database copy only serves restarts.
 */
@Entity('mqtt_subscriptions')
export class MqttSubscriptionEntity {
  @PrimaryColumn({ type: 'text' })
  clientId: string;

  @PrimaryColumn({ type: 'text' })
  topic: string;

  @Column({ type: 'smallint' })
  qos: number;

  /** The rest of the subscription record (rh, rap, nl, subscriptionIdentifier), see packet-codec.ts. */
  @Column({ type: 'jsonb' })
  options: Record<string, unknown>;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
