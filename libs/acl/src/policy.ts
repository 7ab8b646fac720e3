/**
 * RAM-style policy documents (design §1.3), evaluated without any framework so that the REST face, the
 * RPC face and the broker share one implementation:
 *
 *   {"Version":"1","Statement":[{"Effect":"Allow"|"Deny","Action":[…],"Resource":[…]}]}
 *
 * `*` in an action or resource matches any run of characters; actions compare case-insensitively (as in
 * RAM), resources case-sensitively; an explicit Deny wins; no matching Allow means denied.
 */
export interface PolicyStatement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
}

export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}

interface CompiledStatement {
  allow: boolean;
  actions: RegExp[];
  resources: RegExp[];
}

export class CompiledPolicy {
  private constructor(
    readonly document: PolicyDocument,
    private readonly statements: CompiledStatement[],
  ) {}

  static compile(document: PolicyDocument): CompiledPolicy {
    return new CompiledPolicy(
      document,
      document.Statement.map((s) => ({
        allow: s.Effect === 'Allow',
        actions: asArray(s.Action).map((a) => wildcard(a, true)),
        resources: asArray(s.Resource).map((r) => wildcard(r, false)),
      })),
    );
  }

  /** An empty policy: allows nothing. */
  static denyAll(): CompiledPolicy {
    return CompiledPolicy.compile({ Version: '1', Statement: [] });
  }

  isAllowed(action: string, resource: string): boolean {
    let allowed = false;
    for (const s of this.statements) {
      if (!s.actions.some((a) => a.test(action)) || !s.resources.some((r) => r.test(resource))) continue;
      if (!s.allow) return false; // explicit Deny wins
      allowed = true;
    }
    return allowed;
  }
}

const MAX_POLICY_BYTES = 6144; // RAM's limit for a custom policy document

/** Parses and validates a policy JSON string; returns the document or the reason it is invalid. */
export function parsePolicy(text: string): { policy: PolicyDocument } | { error: string } {
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES) return { error: `must be at most ${MAX_POLICY_BYTES} bytes` };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return { error: 'is not valid JSON' };
  }
  if (!isObject(doc)) return { error: 'must be a JSON object' };
  if (doc.Version !== '1') return { error: 'Version must be "1"' };
  if (!Array.isArray(doc.Statement)) return { error: 'Statement must be an array' };
  const statements: PolicyStatement[] = [];
  for (const [i, s] of doc.Statement.entries()) {
    if (!isObject(s)) return { error: `Statement[${i}] must be an object` };
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') return { error: `Statement[${i}].Effect must be "Allow" or "Deny"` };
    for (const key of ['Action', 'Resource'] as const) {
      const v = s[key];
      const list = typeof v === 'string' ? [v] : v;
      if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string' && x.length > 0 && x.length <= 512)) {
        return { error: `Statement[${i}].${key} must be a non-empty string or array of non-empty strings` };
      }
    }
    statements.push({ Effect: s.Effect, Action: s.Action as string | string[], Resource: s.Resource as string | string[] });
  }
  return { policy: { Version: '1', Statement: statements } };
}

function asArray(v: string | string[]): string[] {
  return typeof v === 'string' ? [v] : v;
}

function wildcard(pattern: string, ignoreCase: boolean): RegExp {
  const body = pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
