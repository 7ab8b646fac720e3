import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createNotifyTrigger, dropNotifyTrigger } from '../libs/database/src/change-notify.js';

export class MqttTokens1795690680921 implements MigrationInterface {
  name = 'MqttTokens1795690680921';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "mqtt_tokens" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "instance_id" character varying(32) NOT NULL, "token_hash" character(64) NOT NULL, "access_key_id" character varying(64) NOT NULL, "resources" jsonb NOT NULL, "type" character varying(2) NOT NULL, "expire_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_33e6ef7f35c287861f7d0bbf27a" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_mqtt_tokens_hash" ON "mqtt_tokens"  ("token_hash") `);
    await queryRunner.query(`ALTER TABLE "mqtt_tokens" ADD CONSTRAINT "FK_ae90d0e0db67347ea10b512105e" FOREIGN KEY ("instance_id") REFERENCES "instances"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    // Hand-added: the broker learns of revocations at once (and of new tokens, for uploads).
    await queryRunner.query(createNotifyTrigger('mqtt_tokens'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(dropNotifyTrigger('mqtt_tokens'));
    await queryRunner.query(`ALTER TABLE "mqtt_tokens" DROP CONSTRAINT "FK_ae90d0e0db67347ea10b512105e"`);
    await queryRunner.query(`DROP INDEX "public"."uq_mqtt_tokens_hash"`);
    await queryRunner.query(`DROP TABLE "mqtt_tokens"`);
  }
}
