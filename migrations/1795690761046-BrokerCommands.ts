import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CREATE_COMMAND_NOTIFY } from '../libs/database/src/change-notify.js';

export class BrokerCommands1795690761046 implements MigrationInterface {
  name = 'BrokerCommands1795690761046';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "broker_commands" ("id" BIGSERIAL NOT NULL, "type" character varying(16) NOT NULL, "instance_id" character varying(32) NOT NULL, "topic" character varying(1024), "client_id" character varying(64), "payload" bytea, "qos" smallint NOT NULL DEFAULT '1', "msg_id" character varying(32), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_4a82903fb9a00dc602a2a2bd7ff" PRIMARY KEY ("id"))`);
    await queryRunner.query(`CREATE INDEX "ix_broker_commands_created" ON "broker_commands"  ("created_at") `);
    // Hand-added: every new command is announced to the broker workers.
    await queryRunner.query(CREATE_COMMAND_NOTIFY);
    await queryRunner.query(`CREATE TRIGGER broker_commands_notify AFTER INSERT ON "broker_commands" FOR EACH ROW EXECUTE FUNCTION aviary_notify_command()`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER IF EXISTS broker_commands_notify ON "broker_commands"`);
    await queryRunner.query('DROP FUNCTION IF EXISTS aviary_notify_command()');
    await queryRunner.query(`DROP INDEX "public"."ix_broker_commands_created"`);
    await queryRunner.query(`DROP TABLE "broker_commands"`);
  }
}
