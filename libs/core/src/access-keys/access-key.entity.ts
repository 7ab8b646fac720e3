import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { PolicyDocument } from '../../../acl/src/policy.js';

export type AccessKeyStatus = 'Active' | 'Inactive';

/**
 * An AccessKey (our stand-in for Alibaba RAM users). The secret feeds HMAC checks (API signatures,
 * device Signature mode), so it is kept encrypted (AES-256-GCM under the master key), never hashed.
 */
@Entity('access_keys')
export class AccessKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ type: 'text' })
  secretSealed: string;

  @Column({ type: 'varchar', length: 16, default: 'Active' })
  status: AccessKeyStatus;

  @Column({ type: 'boolean', default: false })
  isRoot: boolean;

  /** RAM-style policy; null = no rights at all (root needs none). */
  @Column({ type: 'jsonb', nullable: true })
  policy: PolicyDocument | null;

  @Column({ type: 'varchar', length: 256, default: '' })
  remark: string;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ type: 'timestamptz' })
  updatedAt: Date;
}
