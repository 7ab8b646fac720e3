import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { InstanceEntity } from '../instances/instance.entity.js';

/** One device credential per ClientId (一机一密); registering again replaces it. */
@Entity('device_credentials')
@Index('uq_device_credentials_instance_client', ['instanceId', 'clientId'], { unique: true })
export class DeviceCredentialEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 32 })
  instanceId: string;

  @ManyToOne(() => InstanceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'instance_id' })
  instance?: InstanceEntity;

  @Column({ type: 'varchar', length: 64 })
  clientId: string;

  @Index('uq_device_credentials_key_id', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  deviceAccessKeyId: string;

  @Column({ type: 'text' })
  secretSealed: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
