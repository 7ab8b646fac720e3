import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Session registry rows written by the broker (apps/broker/src/sessions/session-writer.ts). */
export class MqttSessions1795691500000 implements MigrationInterface {
  name = 'MqttSessions1795691500000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "mqtt_sessions" ("instance_id" character varying(32) NOT NULL, "client_id" character varying(64) NOT NULL, "online" boolean NOT NULL, "channel_id" character varying(64) NOT NULL, "client_ip" character varying(64) NOT NULL, "node_id" character varying(128) NOT NULL, "connected_at" TIMESTAMP WITH TIME ZONE NOT NULL, "disconnected_at" TIMESTAMP WITH TIME ZONE, "subscriptions" jsonb NOT NULL DEFAULT '[]', "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "pk_mqtt_sessions" PRIMARY KEY ("instance_id", "client_id"))`);
    await queryRunner.query(`CREATE INDEX "ix_mqtt_sessions_node" ON "mqtt_sessions"  ("node_id") `);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."ix_mqtt_sessions_node"`);
    await queryRunner.query(`DROP TABLE "mqtt_sessions"`);
  }
}
