import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { InstanceEntity } from '../instances/instance.entity.js';

/** A parent (first-level) topic of an instance. */
@Entity('parent_topics')
@Index('uq_parent_topics_instance_topic', ['instanceId', 'topic'], { unique: true })
export class TopicEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 32 })
  instanceId: string;

  @ManyToOne(() => InstanceEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'instance_id' })
  instance?: InstanceEntity;

  @Column({ type: 'varchar', length: 64 })
  topic: string;

  @Column({ type: 'varchar', length: 256, default: '' })
  remark: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
