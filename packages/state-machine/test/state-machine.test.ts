import { StateMachine } from '../src';

type Light = 'RED' | 'GREEN' | 'AMBER' | 'OFF';
const light = new StateMachine<Light>({
  RED: ['GREEN', 'OFF'],
  GREEN: ['AMBER', 'OFF'],
  AMBER: ['RED', 'AMBER', 'OFF'],
  OFF: [],
});

describe('StateMachine', () => {
  it('answers exactly what its table says, for every pair', () => {
    const table: Record<Light, Light[]> = {
      RED: ['GREEN', 'OFF'],
      GREEN: ['AMBER', 'OFF'],
      AMBER: ['RED', 'AMBER', 'OFF'],
      OFF: [],
    };
    for (const from of light.statuses) {
      for (const to of light.statuses) {
        expect(light.can(from, to)).toBe(table[from].includes(to));
      }
      expect(light.nextFrom(from)).toEqual(table[from]);
    }
  });

  it('knows where a status can be reached from, and which are final', () => {
    expect(light.previousOf('RED')).toEqual(['AMBER']);
    expect(light.previousOf('AMBER')).toEqual(['GREEN', 'AMBER']);
    expect(light.previousOf('OFF')).toEqual(['RED', 'GREEN', 'AMBER']);
    expect(light.statuses.filter((s) => light.isFinal(s))).toEqual(['OFF']);
  });

  it('words a refusal with both states and what is possible instead', () => {
    expect(light.refusal('Light 7', 'RED', 'AMBER')).toBe(
      'Light 7 is RED and cannot become AMBER; from RED it can only become GREEN or OFF.',
    );
    expect(light.refusal('Light 7', 'OFF', 'RED')).toBe(
      'Light 7 is OFF and cannot become RED; OFF is final.',
    );
  });

  it('refuses a table that moves to a status it does not list', () => {
    expect(() => new StateMachine<'A' | 'B'>({ A: ['B'], B: ['C' as 'A'] })).toThrow(
      'B may move to C, which the table does not list',
    );
  });
});
