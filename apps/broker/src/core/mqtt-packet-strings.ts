import { isUtf8 } from 'node:buffer';

/** The parts of mqtt-packet 9's Parser that string checking touches. */
export interface StringParser {
  _parseString(): string | null;
  _emitError(err: Error): void;
  _pos: number;
  _list: { slice(start: number, end: number): Buffer };
  error: Error | null;
}

/**
 * mqtt-packet decodes every string field (topics, filters, ClientId, username, will topic) with
 * `toString('utf8')`, which silently maps ill-formed bytes to U+FFFD. MQTT 3.1.1 §1.5.3 says a receiver of
 * ill-formed UTF-8 or of U+0000 MUST close the connection [MQTT-1.5.3-1, -2]. This patches a parser to check
 * the raw bytes of each string it parses and fail the parse, so the packet is never emitted. Used by both
 * cores: on aedes' per-connection parsers (aedes-internals.ts) and the lean core's shared ones.
 */
export function checkParsedStrings(parser: StringParser, error: (why: string) => Error): void {
  const parseString = parser._parseString;
  parser._parseString = function checkedParseString(this: StringParser): string | null {
    const start = this._pos;
    const text = parseString.call(this);
    if (text === null || this.error) return text;
    // Decoding turns every ill-formed sequence into U+FFFD, so a string without one was well-formed; only
    // one that has it (rare: ill-formed, or a genuine U+FFFD) needs its raw bytes checked.
    if (text.includes('\uFFFD') && !isUtf8(this._list.slice(start + 2, this._pos))) {
      this._emitError(error('ill-formed UTF-8 in a string field [MQTT-1.5.3-1]'));
    } else if (text.includes('\u0000')) {
      this._emitError(error('U+0000 in a string field [MQTT-1.5.3-2]'));
    }
    return text;
  };
}
