import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** The will of a connected client, kept so that it is still published after a broker crash. */
@Entity('mqtt_wills')
export class MqttWillEntity {
  @PrimaryColumn({ type: 'text' })
  clientId: string;

  @Column({ type: 'text' })
  brokerId: string;

  @Column({ type: 'jsonb' })
  header: Record<string, unknown>;

  @Column({ type: 'bytea', nullable: true })
  payload: Buffer | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
