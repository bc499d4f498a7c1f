import { aTemplate } from '../../testing/builders';
import { EXPORT_USER_DATA_PLACEHOLDER, RC_ACCOUNT_PATTERN, TAG_RC_ACCOUNT, templateForRequest } from './request-template';

const context = { providerName: 'awsinst', clusterName: 'sym-prod' };

describe('templateForRequest (IBM rc_account and %EXPORT_USER_DATA%)', () => {
  it('adds RC_ACCOUNT to the instance tags and replaces every placeholder with the exports', () => {
    const template = aTemplate({
      templateId: 'T-1',
      instanceTags: { team: 'hpc' },
      userData: `#!/bin/bash\n${EXPORT_USER_DATA_PLACEHOLDER}\necho "$rc_account"\n# again: ${EXPORT_USER_DATA_PLACEHOLDER}\n`,
    });
    const launched = templateForRequest(template, { rcAccount: 'desk-1' }, context);
    expect(launched.instanceTags).toEqual({ team: 'hpc', [TAG_RC_ACCOUNT]: 'desk-1' });
    const exports = 'export rc_account=desk-1;export template_id=T-1;export clustername=sym-prod;export providerName=awsinst;';
    expect(launched.userData).toBe(`#!/bin/bash\n${exports}\necho "$rc_account"\n# again: ${exports}\n`);
    expect(template.instanceTags).toEqual({ team: 'hpc' }); // the configured template is untouched
  });

  it('without rc_account: the exports it knows, no tag; without a placeholder: the user data as it is', () => {
    const withPlaceholder = aTemplate({ templateId: 'T', userData: EXPORT_USER_DATA_PLACEHOLDER });
    expect(templateForRequest(withPlaceholder, {}, { providerName: 'p q' }).userData).toBe("export template_id=T;export providerName='p q';");
    expect(templateForRequest(withPlaceholder, {}, { providerName: 'p' }).instanceTags).toEqual(withPlaceholder.instanceTags);
    const plain = aTemplate({ userData: '#!/bin/sh\necho hi\n' });
    expect(templateForRequest(plain, {}, context)).toBe(plain);
    expect(templateForRequest(plain, { rcAccount: 'a' }, context).userData).toBe('#!/bin/sh\necho hi\n');
  });

  it('the request account wins over a template tag of the same name', () => {
    const template = aTemplate({ instanceTags: { [TAG_RC_ACCOUNT]: 'from-template' } });
    expect(templateForRequest(template, { rcAccount: 'from-hf' }, context).instanceTags[TAG_RC_ACCOUNT]).toBe('from-hf');
  });

  it.each([
    ['desk-1', true],
    ['risk/emea:prod=1+a@b.c_d', true],
    ['a'.repeat(256), true],
    ['a'.repeat(257), false],
    ['two words', false],
    ['x;reboot', false],
    ['$(id)', false],
    ['', false],
  ])('rc_account %p is valid: %p', (value, valid) => {
    expect(RC_ACCOUNT_PATTERN.test(value)).toBe(valid);
  });
});
