import type { MigrationInterface, QueryRunner } from 'typeorm';

export class BrokerNodes1795692286246 implements MigrationInterface {
  name = 'BrokerNodes1795692286246';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "broker_nodes" ("node_id" character varying(128) NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "last_seen_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_590059c35b15639de2cb9aa8a8a" PRIMARY KEY ("node_id"))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "broker_nodes"`);
  }
}
