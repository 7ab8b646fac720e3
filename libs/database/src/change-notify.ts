/**
 * Every table the broker mirrors in memory carries an AFTER row trigger that NOTIFYs `aviary_changes`
 * with `{"table","op","id","instanceId"}`. Triggers (rather than notifying from services) also catch
 * cascaded deletes, so deleting an instance reaches the broker for every topic, group and credential in it.
 * Payloads carry ids only — never secrets — and stay far below NOTIFY's 8000-byte limit.
 */
export const CHANGES_CHANNEL = 'aviary_changes';

export interface ChangeEvent {
  table: string;
  op: 'INSERT' | 'UPDATE' | 'DELETE';
  id: string;
  instanceId: string | null;
}

export const CREATE_NOTIFY_FUNCTION = `
CREATE OR REPLACE FUNCTION aviary_notify_change() RETURNS trigger AS $$
DECLARE
  r jsonb := to_jsonb(COALESCE(NEW, OLD));
BEGIN
  PERFORM pg_notify('${CHANGES_CHANNEL}', json_build_object(
    'table', TG_TABLE_NAME,
    'op', TG_OP,
    'id', r->>'id',
    'instanceId', COALESCE(r->>'instance_id', CASE WHEN TG_TABLE_NAME = 'instances' THEN r->>'id' END)
  )::text);
  RETURN NULL;
END
$$ LANGUAGE plpgsql`;

export function createNotifyTrigger(table: string): string {
  return `CREATE TRIGGER ${table}_notify_change AFTER INSERT OR UPDATE OR DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION aviary_notify_change()`;
}

export function dropNotifyTrigger(table: string): string {
  return `DROP TRIGGER IF EXISTS ${table}_notify_change ON "${table}"`;
}

export function parseChangeEvent(payload: string | undefined): ChangeEvent | undefined {
  if (!payload) return undefined;
  try {
    const e = JSON.parse(payload) as ChangeEvent;
    return typeof e.table === 'string' && typeof e.op === 'string' ? e : undefined;
  } catch {
    return undefined;
  }
}

/** Control plane → broker commands (see BrokerCommandEntity): NOTIFY `{id, type}` of each new row. */
export const COMMANDS_CHANNEL = 'aviary_commands';

export const CREATE_COMMAND_NOTIFY = `
CREATE OR REPLACE FUNCTION aviary_notify_command() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('${COMMANDS_CHANNEL}', json_build_object('id', NEW.id::text, 'type', NEW.type)::text);
  RETURN NULL;
END
$$ LANGUAGE plpgsql`;
