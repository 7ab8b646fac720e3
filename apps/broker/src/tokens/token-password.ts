import type { TokenType } from '../../../../libs/core/src/mqtt-tokens/mqtt-token.entity.js';

export const TOKEN_TYPES: ReadonlySet<string> = new Set<TokenType>(['R', 'W', 'RW']);

/** Longer "tokens" are not ours (ours are 43 characters); bounds the hashing work an attacker can ask for. */
export const MAX_TOKEN_LENGTH = 4096;

export function isTokenType(v: unknown): v is TokenType {
  return typeof v === 'string' && TOKEN_TYPES.has(v);
}

/**
 * Token-mode password (reference §3.5 b): `<type>|<token>[|<type>|<token>…]`, type `R`, `W` or `RW`, at most
 * one token per type, order irrelevant. Undefined when malformed: empty, odd number of fields, unknown type,
 * empty or oversized token, a type given twice.
 */
export function parseTokenPassword(text: string | undefined): Map<TokenType, string> | undefined {
  if (!text) return undefined;
  const parts = text.split('|');
  if (parts.length % 2 !== 0 || parts.length > 2 * TOKEN_TYPES.size) return undefined;
  const out = new Map<TokenType, string>();
  for (let i = 0; i < parts.length; i += 2) {
    const type = parts[i];
    const token = parts[i + 1]!;
    if (!isTokenType(type) || out.has(type) || token.length === 0 || token.length > MAX_TOKEN_LENGTH) return undefined;
    out.set(type, token);
  }
  return out;
}
