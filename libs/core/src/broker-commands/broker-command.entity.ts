import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type BrokerCommandType = 'publish' | 'close';

/**
 * Commands from the control plane to the broker workers (SendMessage, CloseConnection). A row plus a
 * NOTIFY of its id on `aviary_commands`, because NOTIFY payloads are capped at 8000 bytes and a message
 * may carry 64 KB. `publish` is claimed by exactly one worker (its emitter — Redis when clustered — takes
 * the message to every subscriber); `close` is executed by every worker. Rows are purged after a while.
 */
@Entity('broker_commands')
@Index('ix_broker_commands_created', ['createdAt'])
export class BrokerCommandEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column({ type: 'varchar', length: 16 })
  type: BrokerCommandType;

  @Column({ type: 'varchar', length: 32 })
  instanceId: string;

  /** publish: the full device-visible topic; close: unused. */
  @Column({ type: 'varchar', length: 1024, nullable: true })
  topic: string | null;

  /** close: the ClientId to disconnect. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  clientId: string | null;

  @Column({ type: 'bytea', nullable: true })
  payload: Buffer | null;

  @Column({ type: 'smallint', default: 1 })
  qos: number;

  /** 32 hex characters, returned to the caller as MsgId. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  msgId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;
}
