import { HostFactoryError } from '../errors';
import type { Template } from '../domain/template/template';
import { aTemplate } from '../testing/builders';
import { FixedClock } from '../testing/fakes';
import { InMemoryStateStore } from '../testing/in-memory-state-store';
import { CachedTemplateValidator } from './cached-template-validator';

class CountingValidator {
  calls = 0;
  fail?: Error;
  async prepare(template: Template): Promise<Template> {
    this.calls += 1;
    if (this.fail) throw this.fail;
    return { ...template, imageId: 'ami-resolved' };
  }
}

describe('CachedTemplateValidator', () => {
  const setup = () => {
    const clock = new FixedClock();
    const store = new InMemoryStateStore();
    const inner = new CountingValidator();
    return { clock, store, inner, validator: new CachedTemplateValidator(inner, store, clock, 3600) };
  };

  it('checks a template once per TTL and answers the resolved template from the store', async () => {
    const { clock, inner, validator } = setup();
    const template = aTemplate({ imageId: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64' });
    expect((await validator.prepare(template)).imageId).toBe('ami-resolved');
    expect((await validator.prepare(template)).imageId).toBe('ami-resolved');
    expect(inner.calls).toBe(1);
    clock.advance(3601_000);
    await validator.prepare(template);
    expect(inner.calls).toBe(2);
  });

  it('never stores the user data (scripts carry secrets), yet answers with it', async () => {
    const { store, validator } = setup();
    const written: string[] = [];
    const put = store.putCached.bind(store);
    jest.spyOn(store, 'putCached').mockImplementation(async (key, value, expiresAt) => {
      written.push(value);
      return put(key, value, expiresAt);
    });
    const template = aTemplate({ userData: '#!/bin/sh\nexport TOKEN=s3cr3t\n' });
    expect((await validator.prepare(template)).userData).toBe(template.userData);
    expect(await validator.prepare(template)).toMatchObject({ imageId: 'ami-resolved', userData: template.userData }); // from the store
    expect(written).toHaveLength(1);
    expect(written[0]).not.toContain('s3cr3t');
  });

  it('a changed template is checked afresh', async () => {
    const { inner, validator } = setup();
    await validator.prepare(aTemplate());
    await validator.prepare(aTemplate({ subnetIds: ['subnet-other'] }));
    expect(inner.calls).toBe(2);
  });

  it('never caches a failure', async () => {
    const { inner, validator } = setup();
    inner.fail = new HostFactoryError('TEMPLATE_INVALID', "Template 'x': subnetId 'subnet-nope' does not exist");
    await expect(validator.prepare(aTemplate())).rejects.toMatchObject({ code: 'TEMPLATE_INVALID' });
    inner.fail = undefined;
    await validator.prepare(aTemplate());
    expect(inner.calls).toBe(2);
  });
});
