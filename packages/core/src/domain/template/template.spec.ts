import { aTemplate } from '../../testing/builders';
import { formatInstanceTags, parseInstanceTags, templateInstanceTypes } from './template';
import { hasMandatoryAttributes, resolveTemplateAttributes } from './template-attributes';

describe('template rules', () => {
  it('instance tags round-trip between HF strings and maps', () => {
    expect(parseInstanceTags('team=hpc; project=risk;;flag')).toEqual({ team: 'hpc', project: 'risk', flag: '' });
    expect(formatInstanceTags({ team: 'hpc', project: 'risk' })).toBe('team=hpc;project=risk');
    expect(parseInstanceTags(undefined)).toEqual({});
  });

  it('instance types: vmType first, then vmTypes, without repeats', () => {
    expect(templateInstanceTypes(aTemplate({ vmType: 'm5.large', vmTypes: { 'm5.large': 1, 'm5.xlarge': 2 } }))).toEqual(['m5.large', 'm5.xlarge']);
  });

  it('derives ncpus, ncores, nram and type from the instance type when not configured', () => {
    const template = aTemplate({ attributes: {} });
    const attributes = resolveTemplateAttributes(template, {
      instanceType: 't3.medium',
      vcpus: 2,
      cores: 1,
      memoryMiB: 4096,
      architecture: 'arm64',
    });
    expect(attributes).toEqual({
      type: ['String', 'ARM64'],
      ncpus: ['Numeric', '2'],
      ncores: ['Numeric', '1'],
      nram: ['Numeric', '4096'],
    });
    expect(hasMandatoryAttributes(attributes)).toBe(true);
  });

  it('configured attributes win over derived ones', () => {
    const template = aTemplate({ attributes: { ncpus: ['Numeric', '8'] } });
    const attributes = resolveTemplateAttributes(template, { instanceType: 't3.medium', vcpus: 2, memoryMiB: 4096 });
    expect(attributes['ncpus']).toEqual(['Numeric', '8']);
    expect(attributes['nram']).toEqual(['Numeric', '4096']);
  });

  it('without instance-type facts the mandatory attributes may be missing', () => {
    expect(hasMandatoryAttributes(resolveTemplateAttributes(aTemplate({ attributes: {} }), undefined))).toBe(false);
  });
});
