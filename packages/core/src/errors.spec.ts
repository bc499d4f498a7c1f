import { HostFactoryError, isHostFactoryError, toHostFactoryError } from './errors';

describe('HostFactoryError', () => {
  it('carries code, details, cause and transience', () => {
    const cause = new Error('boom');
    const error = new HostFactoryError('THROTTLED', 'slow down', { cause, details: { a: 1 } });
    expect(error.code).toBe('THROTTLED');
    expect(error.transient).toBe(true);
    expect(error.cause).toBe(cause);
    expect(error.details).toEqual({ a: 1 });
    expect(new HostFactoryError('AUTH_ERROR', 'no').transient).toBe(false);
  });

  it('is recognised by code, not by class identity', () => {
    const foreign = Object.assign(new Error('x'), { name: 'HostFactoryError', code: 'STORAGE_ERROR' });
    expect(isHostFactoryError(foreign)).toBe(true);
    expect(isHostFactoryError(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe(false);
  });

  it('wraps anything else, keeping the cause', () => {
    const wrapped = toHostFactoryError(new TypeError('bad'), 'PROVIDER_ERROR');
    expect(wrapped.code).toBe('PROVIDER_ERROR');
    expect(wrapped.message).toBe('bad');
    expect(toHostFactoryError('text').code).toBe('INTERNAL_ERROR');
  });
});
