import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CREATE_NOTIFY_FUNCTION, createNotifyTrigger, dropNotifyTrigger } from '../libs/database/src/change-notify.js';

const TABLES = ['instances', 'parent_topics', 'mqtt_groups', 'access_keys', 'device_credentials'];

/** Hand-written: LISTEN/NOTIFY triggers that keep the broker's in-memory indexes current. */
export class ChangeNotifications1795690131878 implements MigrationInterface {
  name = 'ChangeNotifications1795690131878';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(CREATE_NOTIFY_FUNCTION);
    for (const t of TABLES) await queryRunner.query(createNotifyTrigger(t));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const t of TABLES) await queryRunner.query(dropNotifyTrigger(t));
    await queryRunner.query('DROP FUNCTION IF EXISTS aviary_notify_change()');
  }
}
