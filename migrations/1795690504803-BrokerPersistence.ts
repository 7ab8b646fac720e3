import type { MigrationInterface, QueryRunner } from 'typeorm';

export class BrokerPersistence1795690504803 implements MigrationInterface {
  name = 'BrokerPersistence1795690504803';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "mqtt_incoming" ("client_id" text NOT NULL, "message_id" integer NOT NULL, "header" jsonb NOT NULL, "payload" bytea, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_5b7cb59cdc30cb46a1976efb464" PRIMARY KEY ("client_id", "message_id"))`);
    await queryRunner.query(`CREATE INDEX "ix_mqtt_incoming_created" ON "mqtt_incoming"  ("created_at") `);
    await queryRunner.query(`CREATE TABLE "mqtt_outgoing" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "client_id" text NOT NULL, "broker_id" text, "broker_counter" bigint, "message_id" integer, "header" jsonb NOT NULL, "payload" bytea, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_2e6fb3611f915c63c4f7ab6cbdb" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_mqtt_outgoing_created" ON "mqtt_outgoing"  ("created_at") `);
    await queryRunner.query(`CREATE INDEX "ix_mqtt_outgoing_client" ON "mqtt_outgoing"  ("client_id", "id") `);
    await queryRunner.query(`CREATE TABLE "mqtt_retained" ("topic" text NOT NULL, "header" jsonb NOT NULL, "payload" bytea, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_185e2a59d26d2ebdfd14540b015" PRIMARY KEY ("topic"))`);
    await queryRunner.query(`CREATE TABLE "mqtt_subscriptions" ("client_id" text NOT NULL, "topic" text NOT NULL, "qos" smallint NOT NULL, "options" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_11de7522e49547c13693e4d7fe5" PRIMARY KEY ("client_id", "topic"))`);
    await queryRunner.query(`CREATE TABLE "mqtt_wills" ("client_id" text NOT NULL, "broker_id" text NOT NULL, "header" jsonb NOT NULL, "payload" bytea, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_265ca2173ef46c7f7be8e1c7427" PRIMARY KEY ("client_id"))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "mqtt_wills"`);
    await queryRunner.query(`DROP TABLE "mqtt_subscriptions"`);
    await queryRunner.query(`DROP TABLE "mqtt_retained"`);
    await queryRunner.query(`DROP INDEX "public"."ix_mqtt_outgoing_client"`);
    await queryRunner.query(`DROP INDEX "public"."ix_mqtt_outgoing_created"`);
    await queryRunner.query(`DROP TABLE "mqtt_outgoing"`);
    await queryRunner.query(`DROP INDEX "public"."ix_mqtt_incoming_created"`);
    await queryRunner.query(`DROP TABLE "mqtt_incoming"`);
  }
}
