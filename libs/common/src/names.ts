/**
 * Naming rules from the Alibaba reference (§0). Pure functions: each returns undefined when the value is
 * acceptable, or a human-readable reason when it is not. Callers turn the reason into
 * `InvalidParameter.<Name>`.
 */
const NAME_CHARS = /^[0-9A-Za-z_-]+$/;

function lengthAndChars(value: string, min: number, max: number): string | undefined {
  if (value.length < min || value.length > max) return `must be ${min}-${max} characters long`;
  if (!NAME_CHARS.test(value)) return 'may contain only letters, digits, "_" and "-"';
  return undefined;
}

export const INSTANCE_ID_PATTERN = /^mqtt-[0-9a-z]{12}$/;

export function checkInstanceName(name: string): string | undefined {
  return lengthAndChars(name, 3, 64);
}

export function checkParentTopic(topic: string): string | undefined {
  return lengthAndChars(topic, 3, 64);
}

export function checkGroupId(groupId: string): string | undefined {
  if (!groupId.startsWith('GID_') && !groupId.startsWith('GID-')) return 'must start with "GID_" or "GID-"';
  return lengthAndChars(groupId, 7, 64);
}

export const CLIENT_ID_SEPARATOR = '@@@';

/** Splits `<GroupId>@@@<DeviceId>`; undefined when malformed (length, characters, separator, group rule). */
export function parseClientId(clientId: string): { groupId: string; deviceId: string } | undefined {
  if (clientId.length === 0 || clientId.length > 64) return undefined;
  const at = clientId.indexOf(CLIENT_ID_SEPARATOR);
  if (at <= 0) return undefined;
  const groupId = clientId.slice(0, at);
  const deviceId = clientId.slice(at + CLIENT_ID_SEPARATOR.length);
  if (deviceId.length === 0 || !NAME_CHARS.test(deviceId)) return undefined;
  if (checkGroupId(groupId) !== undefined) return undefined;
  return { groupId, deviceId };
}

export function checkRuleId(ruleId: string): string | undefined {
  const base = lengthAndChars(ruleId, 3, 64);
  if (base) return base;
  return /[0-9A-Za-z]/.test(ruleId) ? undefined : 'must contain at least one letter or digit';
}
