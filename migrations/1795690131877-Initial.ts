import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795690131877 implements MigrationInterface {
  name = 'Initial1795690131877';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "access_keys" ("id" character varying(64) NOT NULL, "secret_sealed" text NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'Active', "is_root" boolean NOT NULL DEFAULT false, "policy" jsonb, "remark" character varying(256) NOT NULL DEFAULT '', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_acdb83140f2654f870d92236303" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE TABLE "instances" ("id" character varying(32) NOT NULL, "name" character varying(64) NOT NULL, "name_key" character varying(64) NOT NULL, "remark" character varying(256) NOT NULL DEFAULT '', "status" character varying(16) NOT NULL DEFAULT 'RUNNING', "max_connections" integer NOT NULL DEFAULT '10000', "max_messages_per_second" integer NOT NULL DEFAULT '5000', "max_payload_bytes" integer NOT NULL DEFAULT '65536', "max_subscriptions_per_client" integer NOT NULL DEFAULT '30', "max_parent_topics" integer NOT NULL DEFAULT '25', "max_groups" integer NOT NULL DEFAULT '100', "session_expiry_seconds" integer NOT NULL DEFAULT '259200', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_11862209053330b4765f7f54178" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_instances_name_key" ON "instances"  ("name_key") `);
    await queryRunner.query(`CREATE TABLE "device_credentials" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "instance_id" character varying(32) NOT NULL, "client_id" character varying(64) NOT NULL, "device_access_key_id" character varying(64) NOT NULL, "secret_sealed" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_96678b2954bc2c8d4d5be68f011" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_device_credentials_key_id" ON "device_credentials"  ("device_access_key_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_device_credentials_instance_client" ON "device_credentials"  ("instance_id", "client_id") `);
    await queryRunner.query(`CREATE TABLE "mqtt_groups" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "instance_id" character varying(32) NOT NULL, "group_id" character varying(64) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_d22d4a309d1596c0bbb8d1b32d3" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_mqtt_groups_instance_group" ON "mqtt_groups"  ("instance_id", "group_id") `);
    await queryRunner.query(`CREATE TABLE "settings" ("key" character varying(64) NOT NULL, "value" text NOT NULL, CONSTRAINT "PK_c8639b7626fa94ba8265628f214" PRIMARY KEY ("key"))`);
    await queryRunner.query(`CREATE TABLE "parent_topics" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "instance_id" character varying(32) NOT NULL, "topic" character varying(64) NOT NULL, "remark" character varying(256) NOT NULL DEFAULT '', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_2628f2a581568f74eb3fc737a29" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_parent_topics_instance_topic" ON "parent_topics"  ("instance_id", "topic") `);
    await queryRunner.query(`ALTER TABLE "device_credentials" ADD CONSTRAINT "FK_95b39539a6508ba3e7641aa5572" FOREIGN KEY ("instance_id") REFERENCES "instances"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "mqtt_groups" ADD CONSTRAINT "FK_fa9e5de179e3d05c2ac26b7a84b" FOREIGN KEY ("instance_id") REFERENCES "instances"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "parent_topics" ADD CONSTRAINT "FK_f7807aa318f1f3e06aa2fceb885" FOREIGN KEY ("instance_id") REFERENCES "instances"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "parent_topics" DROP CONSTRAINT "FK_f7807aa318f1f3e06aa2fceb885"`);
    await queryRunner.query(`ALTER TABLE "mqtt_groups" DROP CONSTRAINT "FK_fa9e5de179e3d05c2ac26b7a84b"`);
    await queryRunner.query(`ALTER TABLE "device_credentials" DROP CONSTRAINT "FK_95b39539a6508ba3e7641aa5572"`);
    await queryRunner.query(`DROP INDEX "public"."uq_parent_topics_instance_topic"`);
    await queryRunner.query(`DROP TABLE "parent_topics"`);
    await queryRunner.query(`DROP TABLE "settings"`);
    await queryRunner.query(`DROP INDEX "public"."uq_mqtt_groups_instance_group"`);
    await queryRunner.query(`DROP TABLE "mqtt_groups"`);
    await queryRunner.query(`DROP INDEX "public"."uq_device_credentials_instance_client"`);
    await queryRunner.query(`DROP INDEX "public"."uq_device_credentials_key_id"`);
    await queryRunner.query(`DROP TABLE "device_credentials"`);
    await queryRunner.query(`DROP INDEX "public"."uq_instances_name_key"`);
    await queryRunner.query(`DROP TABLE "instances"`);
    await queryRunner.query(`DROP TABLE "access_keys"`);
  }
}
