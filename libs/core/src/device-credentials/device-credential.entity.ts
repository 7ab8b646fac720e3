import { Column, Entity, Index } from 'typeorm';
import { InstanceOwnedEntity } from '../instance-owned.entity.js';

/** One device credential per ClientId (一机一密); registering again replaces it. */
@Entity('device_credentials')
@Index('uq_device_credentials_instance_client', ['instanceId', 'clientId'], { unique: true })
export class DeviceCredentialEntity extends InstanceOwnedEntity {
  @Column({ type: 'varchar', length: 64 })
  clientId: string;

  @Index('uq_device_credentials_key_id', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  deviceAccessKeyId: string;

  @Column({ type: 'text' })
  secretSealed: string;
}
