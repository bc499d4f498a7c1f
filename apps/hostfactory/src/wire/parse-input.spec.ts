import { isHostFactoryError, type HostFactoryError } from '@open-hostfactory/core';
import {
  MAX_MACHINE_COUNT,
  parseGetAvailableTemplates,
  parseGetRequestStatus,
  parseGetReturnRequests,
  parseJsonDocument,
  parseRequestMachines,
  parseRequestReturnMachines,
} from './parse-input';

function failureOf(run: () => unknown): HostFactoryError {
  try {
    run();
  } catch (error) {
    if (isHostFactoryError(error)) return error;
    throw error;
  }
  throw new Error('expected a HostFactoryError, nothing was thrown');
}

function expectInvalid(run: () => unknown, message: RegExp): HostFactoryError {
  const failure = failureOf(run);
  expect(failure.code).toBe('INVALID_INPUT');
  expect(failure.message).toMatch(message);
  return failure;
}

describe('parseJsonDocument', () => {
  it('parses tab-indented JSON as HF writes it', () => {
    const text = '{\n\t"template":\t{\n\t\t"templateId":\t"T",\n\t\t"machineCount":\t3\n\t}\n}\n';
    expect(parseJsonDocument(text, '/tmp/hf_in_x')).toEqual({ template: { templateId: 'T', machineCount: 3 } });
  });

  it('accepts a UTF-8 byte order mark', () => {
    expect(parseJsonDocument('\uFEFF{"requestId": "req-1"}', 'in.json')).toEqual({ requestId: 'req-1' });
  });

  it('rejects malformed JSON naming the source and the parser message', () => {
    const failure = expectInvalid(() => parseJsonDocument('{"templateId": ', '/tmp/hf_in_Q2'), /^Malformed JSON in \/tmp\/hf_in_Q2: ./);
    expect(failure.details).toEqual({ source: '/tmp/hf_in_Q2' });
    expect(failure.cause).toBeInstanceOf(SyntaxError);
  });

  it.each(['', '   \n\t', '\uFEFF'])('rejects an empty document %j', (text) => {
    expectInvalid(() => parseJsonDocument(text, 'f.json'), /^Malformed JSON in f\.json: the document is empty$/);
  });
});

describe('parseGetAvailableTemplates', () => {
  it('accepts {} and ignores any keys', () => {
    expect(() => parseGetAvailableTemplates({})).not.toThrow();
    expect(() => parseGetAvailableTemplates({ anything: [1, 2] })).not.toThrow();
  });

  it.each([[[]], [3], ['x'], [null]])('rejects the non-object %j', (doc) => {
    expectInvalid(() => parseGetAvailableTemplates(doc), /^getAvailableTemplates input must be a JSON object/);
  });
});

describe('parseRequestMachines', () => {
  it('reads the HF shape, ignoring extra keys', () => {
    expect(parseRequestMachines({ template: { templateId: 'OnDemand-Small', machineCount: 3, rc_account: 'x', userData: 'y' } })).toEqual({
      dialect: 'hf',
      templateId: 'OnDemand-Small',
      machineCount: 3,
    });
  });

  it('reads a top-level rc_account in both dialects; an empty one is none; a non-string is INVALID_INPUT naming it', () => {
    expect(parseRequestMachines({ rc_account: 'desk-1', template: { templateId: 'T', machineCount: 1 } })).toEqual({
      dialect: 'hf',
      templateId: 'T',
      machineCount: 1,
      rcAccount: 'desk-1',
    });
    expect(parseRequestMachines({ rc_account: 'desk-2', templateId: 'T', maxNumber: 2 })).toMatchObject({ dialect: 'guide', rcAccount: 'desk-2' });
    expect(parseRequestMachines({ rc_account: '', template: { templateId: 'T', machineCount: 1 } })).not.toHaveProperty('rcAccount');
    expect(() => parseRequestMachines({ rc_account: 7, template: { templateId: 'T', machineCount: 1 } })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', details: expect.objectContaining({ field: 'rc_account' }) }),
    );
  });

  it('accepts template as a one-element array', () => {
    expect(parseRequestMachines({ template: [{ templateId: 'T', machineCount: 2 }] })).toEqual({
      dialect: 'hf',
      templateId: 'T',
      machineCount: 2,
    });
  });

  it('rejects template as an array of several', () => {
    expectInvalid(
      () =>
        parseRequestMachines({
          template: [
            { templateId: 'A', machineCount: 1 },
            { templateId: 'B', machineCount: 1 },
          ],
        }),
      /template .* must be one object \(got an array of 2\)/,
    );
    expectInvalid(() => parseRequestMachines({ template: [] }), /got an array of 0/);
  });

  it('detects the guide dialect by templateId at top level; maxNumber is the count', () => {
    expect(parseRequestMachines({ templateId: 'T', maxNumber: 5, attributes: { type: ['String', 'X86_64'] } })).toEqual({
      dialect: 'guide',
      templateId: 'T',
      machineCount: 5,
    });
  });

  it('answers HF when both shapes are present', () => {
    expect(parseRequestMachines({ template: { templateId: 'A', machineCount: 1 }, templateId: 'B', maxNumber: 9 })).toEqual({
      dialect: 'hf',
      templateId: 'A',
      machineCount: 1,
    });
  });

  it('accepts a count given as a string of digits', () => {
    expect(parseRequestMachines({ template: { templateId: 'T', machineCount: '3' } }).machineCount).toBe(3);
    expect(parseRequestMachines({ templateId: 'T', maxNumber: ' 7 ' }).machineCount).toBe(7);
  });

  it('accepts the largest allowed count', () => {
    expect(parseRequestMachines({ template: { templateId: 'T', machineCount: MAX_MACHINE_COUNT } }).machineCount).toBe(MAX_MACHINE_COUNT);
  });

  it.each([
    [0, /must be a positive integer \(got 0\)/],
    [-1, /must be a positive integer \(got -1\)/],
    [1.5, /must be a positive integer \(got 1\.5\)/],
    [Number.NaN, /must be a positive integer \(got NaN\)/],
    ['3.5', /must be a positive integer \(got "3\.5"\)/],
    ['x', /must be a positive integer \(got "x"\)/],
    ['', /must be a positive integer \(got ""\)/],
    ['-2', /must be a positive integer \(got "-2"\)/],
    [true, /must be a positive integer \(got true\)/],
    [null, /must be a positive integer \(got null\)/],
    [[3], /must be a positive integer \(got an array of 1\)/],
    [MAX_MACHINE_COUNT + 1, /must be at most 1000000 \(got 1000001\)/],
    ['99999999', /must be at most 1000000/],
  ])('rejects machineCount %j', (machineCount, message) => {
    const failure = expectInvalid(() => parseRequestMachines({ template: { templateId: 'T', machineCount } }), message);
    expect(failure.message).toMatch(/^template\.machineCount in requestMachines input/);
    expect(failure.details['field']).toBe('template.machineCount');
  });

  it('rejects a bad guide maxNumber naming that field', () => {
    expectInvalid(() => parseRequestMachines({ templateId: 'T', maxNumber: 0 }), /^maxNumber in requestMachines input must be a positive integer/);
    expectInvalid(() => parseRequestMachines({ templateId: 'T' }), /^Missing maxNumber in requestMachines input$/);
  });

  it('rejects a missing machineCount', () => {
    expectInvalid(() => parseRequestMachines({ template: { templateId: 'T' } }), /^Missing template\.machineCount in requestMachines input$/);
  });

  it('rejects a missing template', () => {
    const failure = expectInvalid(() => parseRequestMachines({}), /^Missing template in requestMachines input/);
    expect(failure.details).toEqual({ field: 'template' });
  });

  it.each([[null], ['T'], [3]])('rejects template given as %j', (template) => {
    expectInvalid(() => parseRequestMachines({ template }), /^template in requestMachines input must be an object/);
  });

  it('rejects a missing templateId', () => {
    expectInvalid(() => parseRequestMachines({ template: { machineCount: 1 } }), /^Missing template\.templateId in requestMachines input$/);
  });

  it.each([[''], ['  '], [42], [null], [{}]])('rejects templateId %j', (templateId) => {
    expectInvalid(
      () => parseRequestMachines({ template: { templateId, machineCount: 1 } }),
      /^template\.templateId in requestMachines input must be a non-empty string/,
    );
  });

  it('rejects a non-object document', () => {
    expectInvalid(() => parseRequestMachines([]), /^requestMachines input must be a JSON object \(got an array of 0\)$/);
  });
});

describe('parseGetRequestStatus', () => {
  const entries = (...ids: string[]) => ids.map((requestId) => ({ requestId }));

  it('reads an HF array keeping order and duplicates', () => {
    expect(parseGetRequestStatus({ requests: [{ requestId: 'req-b' }, { requestId: 'ret-a' }, { requestId: 'req-b' }] })).toEqual({
      dialect: 'hf',
      requestIds: ['req-b', 'ret-a', 'req-b'],
      entries: entries('req-b', 'ret-a', 'req-b'),
    });
  });

  it('reads an HF single object', () => {
    expect(parseGetRequestStatus({ requests: { requestId: 'req-1' } })).toEqual({ dialect: 'hf', requestIds: ['req-1'], entries: entries('req-1') });
  });

  it('accepts an empty HF list', () => {
    expect(parseGetRequestStatus({ requests: [] })).toEqual({ dialect: 'hf', requestIds: [], entries: [] });
  });

  it('detects the guide dialect by a top-level requestId', () => {
    expect(parseGetRequestStatus({ requestId: 'req-1' })).toEqual({ dialect: 'guide', requestIds: ['req-1'] });
  });

  it('rejects input without requests', () => {
    expectInvalid(() => parseGetRequestStatus({}), /^Missing requests in getRequestStatus input/);
  });

  it('keeps an entry without a requestId as a problem naming its index, answered on its own', () => {
    expect(parseGetRequestStatus({ requests: [{ requestId: 'req-1' }, {}] })).toEqual({
      dialect: 'hf',
      requestIds: ['req-1'],
      entries: [{ requestId: 'req-1' }, { problem: 'Missing requests[1].requestId in getRequestStatus input' }],
    });
  });

  it('keeps entries with a non-string requestId or of the wrong type as problems', () => {
    expect(parseGetRequestStatus({ requests: [{ requestId: 7 }, 'req-1'] }).entries).toEqual([
      { problem: 'requests[0].requestId in getRequestStatus input must be a non-empty string (got 7)' },
      { problem: 'requests[1] in getRequestStatus input must be an object (got "req-1")' },
    ]);
    expectInvalid(() => parseGetRequestStatus({ requestId: '' }), /^requestId in getRequestStatus input must be a non-empty string/);
  });

  it('rejects a requests field of the wrong type', () => {
    expectInvalid(() => parseGetRequestStatus({ requests: 'req-1' }), /^requests in getRequestStatus input must be a list or an object/);
  });
});

describe('parseRequestReturnMachines', () => {
  it('reads the HF array with machineId beside name', () => {
    expect(
      parseRequestReturnMachines({
        machines: [{ name: 'ip-10-0-57-7.ec2.internal', machineId: 'i-0e90' }, { name: 'ip-10-0-57-8.ec2.internal' }, { machineId: 'i-0e92' }],
      }),
    ).toEqual({
      dialect: 'hf',
      input: {
        machines: [{ name: 'ip-10-0-57-7.ec2.internal', machineId: 'i-0e90' }, { name: 'ip-10-0-57-8.ec2.internal' }, { machineId: 'i-0e92' }],
      },
    });
  });

  it('reads a single HF object', () => {
    expect(parseRequestReturnMachines({ machines: { name: 'h1', machineId: 'i-1' } })).toEqual({
      dialect: 'hf',
      input: { machines: [{ name: 'h1', machineId: 'i-1' }] },
    });
  });

  it('accepts an empty list', () => {
    expect(parseRequestReturnMachines({ machines: [] })).toEqual({ dialect: 'hf', input: { machines: [] } });
  });

  it('treats an empty machineId as missing and matches by name', () => {
    expect(parseRequestReturnMachines({ machines: [{ name: 'h1', machineId: '' }] }).input).toEqual({
      machines: [{ name: 'h1' }],
    });
  });

  it('detects the guide dialect by requestId', () => {
    expect(parseRequestReturnMachines({ requestId: 'req-1' })).toEqual({ dialect: 'guide', input: { requestId: 'req-1' } });
  });

  it('rejects an entry with neither machineId nor name', () => {
    expectInvalid(
      () => parseRequestReturnMachines({ machines: [{ name: 'h1' }, { other: 1 }] }),
      /^machines\[1\] in requestReturnMachines input needs a machineId or a name$/,
    );
  });

  it('rejects non-string machineId or name', () => {
    expectInvalid(
      () => parseRequestReturnMachines({ machines: [{ machineId: 5 }] }),
      /^machines\[0\]\.machineId in requestReturnMachines input must be a string \(got 5\)$/,
    );
    expectInvalid(
      () => parseRequestReturnMachines({ machines: [{ name: ['h'] }] }),
      /^machines\[0\]\.name in requestReturnMachines input must be a string/,
    );
  });

  it('rejects input without machines or requestId', () => {
    expectInvalid(() => parseRequestReturnMachines({}), /^Missing machines in requestReturnMachines input/);
    expectInvalid(() => parseRequestReturnMachines({ machines: 'i-1' }), /^machines in requestReturnMachines input must be a list or an object/);
    expectInvalid(() => parseRequestReturnMachines({ requestId: 3 }), /^requestId in requestReturnMachines input must be a non-empty string/);
  });
});

describe('parseGetReturnRequests', () => {
  it('answers undefined machines for {} (all held machines)', () => {
    expect(parseGetReturnRequests({})).toEqual({});
    expect(parseGetReturnRequests({}).machines).toBeUndefined();
    expect(parseGetReturnRequests({ machines: null }).machines).toBeUndefined();
  });

  it('reads a list and a single object', () => {
    expect(parseGetReturnRequests({ machines: [{ name: 'h1', machineId: 'i-1' }, { name: 'h2' }] })).toEqual({
      machines: [{ name: 'h1', machineId: 'i-1' }, { name: 'h2' }],
    });
    expect(parseGetReturnRequests({ machines: { machineId: 'i-1' } })).toEqual({ machines: [{ machineId: 'i-1' }] });
  });

  it('keeps an empty list distinct from no list', () => {
    expect(parseGetReturnRequests({ machines: [] })).toEqual({ machines: [] });
  });

  it('rejects wrong types', () => {
    expectInvalid(() => parseGetReturnRequests(5), /^getReturnRequests input must be a JSON object \(got 5\)$/);
    expectInvalid(() => parseGetReturnRequests({ machines: 3 }), /^machines in getReturnRequests input must be a list or an object/);
    expectInvalid(() => parseGetReturnRequests({ machines: [{}] }), /^machines\[0\] in getReturnRequests input needs a machineId or a name$/);
  });
});
