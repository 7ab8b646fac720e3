import { Column, Entity, Index } from 'typeorm';
import { InstanceOwnedEntity } from '../instance-owned.entity.js';

/** A GroupId: a class of devices sharing logic; the first half of every ClientId. */
@Entity('mqtt_groups')
@Index('uq_mqtt_groups_instance_group', ['instanceId', 'groupId'], { unique: true })
export class GroupEntity extends InstanceOwnedEntity {
  @Column({ type: 'varchar', length: 64 })
  groupId: string;
}
