import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * SignatureNonces the RPC face has accepted, per AccessKey, until their request's Timestamp leaves the
 * 15-minute window. Kept in PostgreSQL (not in memory) so that a request replayed against another API
 * replica is refused too: the primary key makes "insert or fail" atomic across replicas.
 */
@Entity('rpc_nonces')
export class RpcNonceEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  accessKeyId: string;

  @PrimaryColumn({ type: 'varchar', length: 128 })
  nonce: string;

  /** After this instant the Timestamp check refuses the request anyway, so the row may be purged. */
  @Index('ix_rpc_nonces_expires_at')
  @Column({ type: 'timestamptz' })
  expiresAt: Date;
}
