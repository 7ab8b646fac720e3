import { parseTokenPassword } from './token-password.js';

describe('parseTokenPassword', () => {
  it('should parse one token of each type, in any order', () => {
    expect(parseTokenPassword('R|abc')).toEqual(new Map([['R', 'abc']]));
    expect(parseTokenPassword('RW|abc')).toEqual(new Map([['RW', 'abc']]));
    expect(parseTokenPassword('W|w1|R|r1')).toEqual(
      new Map([
        ['W', 'w1'],
        ['R', 'r1'],
      ]),
    );
    expect(parseTokenPassword('R|r|W|w|RW|rw')?.size).toBe(3);
  });

  it.each([undefined, '', 'R', 'R|', '|abc', 'X|abc', 'r|abc', 'R|a|R|b', 'R|a|W', 'R|a|W|b|RW|c|R|d', `R|${'x'.repeat(4097)}`])('should refuse %p', (pw) => {
    expect(parseTokenPassword(pw)).toBeUndefined();
  });
});
