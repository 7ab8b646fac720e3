import { Column, Entity, Index } from 'typeorm';
import { InstanceOwnedEntity } from '../instance-owned.entity.js';

/** A parent (first-level) topic of an instance. */
@Entity('parent_topics')
@Index('uq_parent_topics_instance_topic', ['instanceId', 'topic'], { unique: true })
export class TopicEntity extends InstanceOwnedEntity {
  @Column({ type: 'varchar', length: 64 })
  topic: string;

  @Column({ type: 'varchar', length: 256, default: '' })
  remark: string;
}
