import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RpcNonces1795690491626 implements MigrationInterface {
  name = 'RpcNonces1795690491626';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "rpc_nonces" ("access_key_id" character varying(64) NOT NULL, "nonce" character varying(128) NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_2293569b16a88b2f583a6e53bd9" PRIMARY KEY ("access_key_id", "nonce"))`);
    await queryRunner.query(`CREATE INDEX "ix_rpc_nonces_expires_at" ON "rpc_nonces"  ("expires_at") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_rpc_nonces_expires_at"`);
    await queryRunner.query(`DROP TABLE "rpc_nonces"`);
  }
}
