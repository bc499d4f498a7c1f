import { parseSize } from './parse-size';

describe('parseSize', () => {
  it.each([
    [2048, 2048],
    ['2048', 2048],
    ['10MB', 10 * 1024 * 1024],
    ['10 MiB', 10 * 1024 * 1024],
    ['512k', 512 * 1024],
    ['1.5KB', 1536],
    ['1gb', 1024 ** 3],
  ])('reads %p as %p bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it.each([['lots'], ['10 parsecs'], [true], [undefined], [Number.POSITIVE_INFINITY]])('rejects %p', (input) => {
    expect(parseSize(input)).toBeUndefined();
  });
});
