import { Column, CreateDateColumn, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { InstanceEntity } from './instances/instance.entity.js';

/**
 * Columns shared by rows that live inside one instance (parent topics, groups, device credentials):
 * a surrogate id (NOTIFY payloads name rows by it), the owning instance with ON DELETE CASCADE, and
 * timestamps.
 */
export abstract class InstanceOwnedEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 32 })
  instanceId: string;

  @ManyToOne(() => InstanceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'instance_id' })
  instance?: InstanceEntity;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
