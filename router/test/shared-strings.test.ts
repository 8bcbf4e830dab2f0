import { SharedStrings } from '../src/subscriptions/shared-strings';

describe('SharedStrings (one copy of a token many connections hold)', () => {
  it('hands every holder of an equal string the first copy, and forgets it after the last', () => {
    const strings = new SharedStrings();
    const token = `Bearer ${'a'.repeat(40)}`;
    // An equal string built separately, as each connection's parsed message gives one.
    const again = ['Bearer ', 'a'.repeat(40)].join('');
    expect(strings.hold(token)).toBe(token);
    expect(strings.hold(again)).toBe(token);
    expect(strings.size).toBe(1);

    strings.release(again);
    expect(strings.size).toBe(1);
    strings.release(token);
    expect(strings.size).toBe(0);
    // Releasing what is not held (a connection closed twice) changes nothing.
    strings.release(token);
    expect(strings.size).toBe(0);
    expect(strings.hold(again)).toBe(again);
  });
});
