import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { InstanceEntity } from '../instances/instance.entity.js';

/** A GroupId: a class of devices sharing logic; the first half of every ClientId. */
@Entity('mqtt_groups')
@Index('uq_mqtt_groups_instance_group', ['instanceId', 'groupId'], { unique: true })
export class GroupEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 32 })
  instanceId: string;

  @ManyToOne(() => InstanceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'instance_id' })
  instance?: InstanceEntity;

  @Column({ type: 'varchar', length: 64 })
  groupId: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
