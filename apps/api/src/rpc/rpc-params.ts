import { AppError } from '../../../../libs/common/src/errors.js';

/**
 * Request parameters of the RPC face: the query string and an `application/x-www-form-urlencoded` body,
 * merged into one flat map (pop-core POSTs everything in the body; the Tea client puts common parameters
 * in the query and business ones in the body; pop-core's lower-case `post` quirk puts everything in the
 * query of a POST). A name given twice — twice in one place, or in both — is refused rather than guessed.
 */
export type FlatParams = Record<string, string>;

export function parseForm(text: string, into: FlatParams = {}, seen = new Set<string>()): FlatParams {
  for (const [name, value] of new URLSearchParams(text)) {
    if (seen.has(name)) throw AppError.invalid(name, 'is given more than once');
    seen.add(name);
    into[name] = value;
  }
  return into;
}

/** Merges the raw query string and the body (raw text, or an already-parsed flat object). */
export function mergeParams(rawQuery: string, body: string | Record<string, unknown> | undefined): FlatParams {
  const seen = new Set<string>();
  const params = parseForm(rawQuery, {}, seen);
  if (typeof body === 'string') return parseForm(body, params, seen);
  for (const [name, value] of Object.entries(body ?? {})) {
    if (typeof value !== 'string') throw AppError.invalid(name, 'must be a single string value');
    if (seen.has(name)) throw AppError.invalid(name, 'is given more than once');
    seen.add(name);
    params[name] = value;
  }
  return params;
}

/**
 * The one place where repeated parameters are unflattened: `Name.1 … Name.N` → a list (N from 1, no gaps,
 * in numeric order — the signature sorted them as text, `Name.10` before `Name.2`). Returns undefined when
 * the list is absent. `Name.N.Field` entries (lists of objects, e.g. `Tag.1.Key`) become objects.
 */
export function unflattenList(params: FlatParams, name: string): (string | Record<string, string>)[] | undefined {
  const prefix = `${name}.`;
  const entries = new Map<number, string | Record<string, string>>();
  for (const [key, value] of Object.entries(params)) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    const dot = rest.indexOf('.');
    const indexText = dot < 0 ? rest : rest.slice(0, dot);
    if (!/^[1-9]\d{0,3}$/.test(indexText)) throw AppError.invalid(name, `"${key}" is not ${name}.N with N from 1`);
    const index = Number(indexText);
    const existing = entries.get(index);
    if (dot < 0) {
      if (existing !== undefined) throw AppError.invalid(name, `${name}.${index} mixes a value and fields`);
      entries.set(index, value);
    } else {
      if (typeof existing === 'string') throw AppError.invalid(name, `${name}.${index} mixes a value and fields`);
      entries.set(index, { ...(existing ?? {}), [rest.slice(dot + 1)]: value });
    }
  }
  if (entries.size === 0) return undefined;
  const list: (string | Record<string, string>)[] = [];
  for (let i = 1; i <= entries.size; i++) {
    const entry = entries.get(i);
    if (entry === undefined) throw AppError.invalid(name, `${name}.${i} is missing; number the list from 1 without gaps`);
    list.push(entry);
  }
  return list;
}

/** The reverse, for clients and tests: `{ Name: [a, b] }` → `{ 'Name.1': a, 'Name.2': b }` (objects → `Name.1.Key`). */
export function flattenParams(params: Record<string, unknown>): FlatParams {
  const out: FlatParams = {};
  const put = (prefix: string, value: unknown): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) value.forEach((v, i) => put(`${prefix}.${i + 1}`, v));
    else if (typeof value === 'object') for (const [k, v] of Object.entries(value)) put(`${prefix}.${k}`, v);
    else out[prefix] = String(value);
  };
  for (const [name, value] of Object.entries(params)) put(name, value);
  return out;
}
