import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkKeys, closestKey, PROVIDER_SETTING_KEYS, SETTINGS, UNSUPPORTED_KEYS } from './settings';

const docs = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'configuration.md'), 'utf8');

describe('the settings table', () => {
  it('docs/configuration.md names every file key, environment variable and unsupported key', () => {
    const keys = [...SETTINGS.flatMap((entry) => [...entry.files, ...(entry.env ?? [])]), ...Object.keys(UNSUPPORTED_KEYS)];
    expect(keys.length).toBeGreaterThan(80);
    expect(keys.filter((key) => !docs.includes(`\`${key}\``))).toEqual([]);
  });

  it('each key is read from one setting only', () => {
    const owners = new Map<string, string[]>();
    for (const entry of SETTINGS) for (const path of entry.files) owners.set(path, [...(owners.get(path) ?? []), entry.key]);
    expect([...owners].filter(([, keys]) => keys.length > 1)).toEqual([]);
  });

  it('the provider section lists what AppConfig.provider reads', () => {
    expect(PROVIDER_SETTING_KEYS).toContain('describeRetryAttempts');
    expect(PROVIDER_SETTING_KEYS).not.toContain('logLevel');
  });
});

describe('checkKeys', () => {
  it('walks the guide sections and stops at known keys and templates', () => {
    const found = checkKeys({
      provider: { aws: { region: 'us-east-1', connection_pool_size: 4 }, orphan_action: 'report' },
      logging: { level: 'info', colour: true },
      monitoring: { enabled: true },
      caching: { config_cache_ttl: 60 },
      templates: [{ anything: 1 }],
      AWS_REGION: 'us-east-1',
    });
    expect(found).toEqual({ unknown: [{ key: 'logging.colour' }], unsupported: ['caching.config_cache_ttl'] });
  });

  it('a scalar where a section belongs is unknown', () => {
    expect(checkKeys({ provider: 'aws' }).unknown.map((entry) => entry.key)).toEqual(['provider']);
  });

  it('suggests the nearest key for a typo only', () => {
    expect(closestKey('AWS_REGOIN')).toBe('AWS_REGION');
    expect(closestKey('aws_region')).toBe('AWS_REGION');
    expect(closestKey('logging.consol_enabled')).toBe('logging.console_enabled');
    expect(closestKey('FAVOURITE_COLOUR')).toBeUndefined();
  });
});
