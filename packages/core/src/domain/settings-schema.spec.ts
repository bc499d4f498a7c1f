import { checkSettings, editDistance, type SettingsSchema } from './settings-schema';

const schema: SettingsSchema = {
  hosts: { type: 'string[]', required: true, min: 1, description: 'the hosts' },
  slots: { type: 'integer', min: 1, max: 64, default: 4, description: 'slots per host' },
  ratio: { type: 'number', min: 0, max: 1, description: 'a share' },
  exclusive: { type: 'boolean', description: 'one job per host' },
  mode: { type: 'string', oneOf: ['fast', 'safe'], description: 'how' },
};

describe('checkSettings', () => {
  it('takes well-typed values, converts the text forms files use, and fills in defaults', () => {
    expect(checkSettings(schema, { hosts: 'a, b,', ratio: '0.5', exclusive: 'true', mode: 'safe' })).toEqual({
      values: { hosts: ['a', 'b'], slots: 4, ratio: 0.5, exclusive: true, mode: 'safe' },
      problems: [],
    });
    expect(checkSettings(schema, { hosts: ['x'], slots: '8' }).values).toEqual({ hosts: ['x'], slots: 8 });
  });

  it('names every problem: missing, mistyped, out of bounds, not one of, unknown (with a suggestion)', () => {
    const { problems } = checkSettings(schema, { slots: 0, ratio: 'half', exclusive: 'maybe', mode: 'quick', slot: 2 });
    expect(problems).toEqual([
      { key: 'slot', reason: 'unknown setting (did you mean slots?); the provider defines: hosts, slots, ratio, exclusive, mode' },
      { key: 'hosts', reason: 'is required (the hosts)' },
      { key: 'slots', reason: 'must be at least 1 (got 0)' },
      { key: 'ratio', reason: 'must be a number (got "half")' },
      { key: 'exclusive', reason: 'must be true or false (got "maybe")' },
      { key: 'mode', reason: "must be one of fast, safe (got 'quick')" },
    ]);
    expect(checkSettings(schema, { hosts: [] }).problems).toEqual([{ key: 'hosts', reason: 'must have at least 1 item(s) (got 0)' }]);
    expect(checkSettings(schema, { hosts: ['a'], slots: 2.5 }).problems).toEqual([{ key: 'slots', reason: 'must be a whole number (got 2.5)' }]);
    expect(checkSettings(schema, ['a']).problems).toEqual([{ key: '', reason: 'must be a map of setting name to value' }]);
  });

  it('editDistance counts inserts, deletes and replacements', () => {
    expect([editDistance('slot', 'slots'), editDistance('hsots', 'hosts'), editDistance('', 'abc'), editDistance('same', 'same')]).toEqual([
      1, 2, 3, 0,
    ]);
  });
});
