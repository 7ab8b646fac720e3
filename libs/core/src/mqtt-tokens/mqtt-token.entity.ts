import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { InstanceEntity } from '../instances/instance.entity.js';

export type TokenType = 'R' | 'W' | 'RW';

/**
 * A temporary device token (ApplyToken). Only the SHA-256 of the token is stored: the token itself is
 * shown once to the caller and never logged.
 */
@Entity('mqtt_tokens')
export class MqttTokenEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 32 })
  instanceId: string;

  @ManyToOne(() => InstanceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'instance_id' })
  instance?: InstanceEntity;

  @Index('uq_mqtt_tokens_hash', { unique: true })
  @Column({ type: 'char', length: 64 })
  tokenHash: string;

  /** The AccessKey that applied for the token; devices present it in `Token|<AccessKeyId>|<InstanceId>`. */
  @Column({ type: 'varchar', length: 64 })
  accessKeyId: string;

  /** Topic filters (parent topic + optional levels, `+`/`#` allowed), sorted. */
  @Column({ type: 'jsonb' })
  resources: string[];

  @Column({ type: 'varchar', length: 2 })
  type: TokenType;

  @Column({ type: 'timestamptz' })
  expireAt: Date;

  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
