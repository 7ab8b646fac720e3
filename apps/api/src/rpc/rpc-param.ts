import { getMetadataStorage, validateSync } from 'class-validator';
import { AppError } from '../../../../libs/common/src/errors.js';
import { unflattenList, type FlatParams } from './rpc-params.js';

/** Wire types as Alibaba's API references name them; all travel as decimal/`true`/`false` strings. */
export type RpcType = 'String' | 'Integer' | 'Long' | 'Boolean';

export interface RpcParamOptions {
  type: RpcType;
  required: boolean;
  description: string;
  /** A repeat list `Name.1 … Name.N` (the property holds an array of values). */
  repeated?: boolean;
  example?: string;
}

export interface RpcParamMeta extends RpcParamOptions {
  name: string;
}

const PARAMS = new WeakMap<object, RpcParamMeta[]>();

/**
 * Declares a parameter of an action's DTO. The property name is the wire name (PascalCase, as Alibaba's);
 * class-validator decorators on the same property carry the format rules. Presence and wire type are
 * checked here (→ `MissingParameter`, `InvalidParameter.<Name>`), rules by class-validator
 * (→ `InvalidParameter.<Name>`), so both faces report the same codes.
 */
export function RpcParam(options: RpcParamOptions): PropertyDecorator {
  return (target, property) => {
    const list = PARAMS.get(target.constructor) ?? [];
    list.push({ ...options, name: String(property) });
    PARAMS.set(target.constructor, list);
  };
}

/** Declared parameters of a DTO class, those of its base classes first. */
export function rpcParamsOf(dto: new () => object): RpcParamMeta[] {
  const chain: object[] = [];
  for (let c: object | null = dto; c && c !== Function.prototype; c = Object.getPrototypeOf(c)) chain.unshift(c);
  return chain.flatMap((c) => PARAMS.get(c) ?? []);
}

/** The class-validator rules of one property, for the catalogue: `[{ Rule: 'maxLength', Args: [64] }, …]`. */
export function rulesOf(dto: new () => object, property: string): { Rule: string; Args?: unknown[]; Message?: string }[] {
  return getMetadataStorage()
    .getTargetValidationMetadatas(dto, '', true, false)
    .filter((m) => m.propertyName === property)
    .reverse() // decorators apply bottom-up; list them in source order
    .map((m) => {
      const constraints = (m.constraints ?? []).filter((c) => c !== undefined).map((c) => (c instanceof RegExp ? c.source : c));
      const message = typeof m.message === 'string' ? m.message : undefined;
      return { Rule: m.name ?? m.type, ...(constraints.length ? { Args: constraints } : {}), ...(message ? { Message: message } : {}) };
    });
}

function convert(meta: RpcParamMeta, raw: string): string | number | boolean {
  switch (meta.type) {
    case 'String':
      return raw;
    case 'Integer':
    case 'Long': {
      if (!/^-?\d{1,16}$/.test(raw) || !Number.isSafeInteger(Number(raw))) throw AppError.invalid(meta.name, `must be an integer (got "${raw}")`);
      const n = Number(raw);
      if (meta.type === 'Integer' && (n < -2147483648 || n > 2147483647)) throw AppError.invalid(meta.name, 'must be a 32-bit integer');
      return n;
    }
    case 'Boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw AppError.invalid(meta.name, `must be "true" or "false" (got "${raw}")`);
  }
}

/**
 * Builds the action's DTO from the flat request parameters: required ones present and non-empty, wire
 * types converted, then the class-validator rules. Parameters the DTO does not declare are ignored, as
 * Alibaba's gateway ignores them (clients add e.g. `RegionId`).
 */
export function parseRpcParams<T extends object>(dto: new () => T, params: FlatParams): T {
  const out = new dto() as Record<string, unknown>;
  for (const meta of rpcParamsOf(dto)) {
    if (meta.repeated) {
      const list = unflattenList(params, meta.name);
      if (list === undefined || list.length === 0) {
        if (meta.required) throw AppError.missing(`${meta.name}.1`);
        continue;
      }
      out[meta.name] = list.map((item) => {
        if (typeof item !== 'string') throw AppError.invalid(meta.name, 'must be a list of values');
        return convert(meta, item);
      });
      continue;
    }
    const raw = params[meta.name];
    if (raw === undefined || (raw === '' && meta.required)) {
      if (meta.required) throw AppError.missing(meta.name);
      continue;
    }
    out[meta.name] = convert(meta, raw);
  }
  const errors = validateSync(out, { skipUndefinedProperties: true, forbidUnknownValues: false, stopAtFirstError: true });
  const first = errors[0];
  if (first) throw AppError.invalid(first.property, Object.values(first.constraints ?? {})[0] ?? 'is invalid');
  return out as T;
}
