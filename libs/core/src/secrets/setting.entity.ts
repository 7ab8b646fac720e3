import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Small key/value facts about the deployment (e.g. the master-key check value). */
@Entity('settings')
export class SettingEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  key: string;

  @Column({ type: 'text' })
  value: string;
}
