import { join } from 'node:path';
import { sqliteFilePath } from './sqlite-file-path';

describe('sqliteFilePath', () => {
  it('puts <providerName>.db in the directory', () => {
    expect(sqliteFilePath('/opt/hf/work', 'awsinst')).toBe(join('/opt/hf/work', 'awsinst.db'));
    expect(sqliteFilePath('/w', 'aws-prod_2.eu')).toBe(join('/w', 'aws-prod_2.eu.db'));
  });

  it('keeps the name inside the directory', () => {
    expect(sqliteFilePath('/w', '../../etc/passwd')).toBe(join('/w', '_._.._etc_passwd.db'));
    expect(sqliteFilePath('/w', 'a b/c\\d:é')).toBe(join('/w', 'a_b_c_d__.db'));
    expect(sqliteFilePath('/w', '.hidden')).toBe(join('/w', '_hidden.db'));
  });

  it('rejects an empty name or directory with CONFIG_INVALID', () => {
    expect(() => sqliteFilePath('/w', '  ')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => sqliteFilePath('', 'aws')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
