/**
 * RFC 3986 percent-encoding as Alibaba's signers do it (reference §2.2, pop-core `lib/rpc.js` and
 * @alicloud/openapi-util `encode`): `encodeURIComponent` plus the five characters it leaves alone that
 * RFC 3986 reserves. Space is `%20` (never `+`), `~` stays literal, non-ASCII is UTF-8 bytes.
 */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** Parameter names in the order both signers sort them: JS default sort, i.e. by UTF-16 code unit. */
export function sortedNames(params: Readonly<Record<string, string>>): string[] {
  return Object.keys(params).sort();
}
