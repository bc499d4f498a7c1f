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

  it('derives ncpus (as EGO counts CPUs: cores by default), ncores, nram and type from the instance type when not configured', () => {
    const template = aTemplate({ attributes: {} });
    const t3 = { instanceType: 't3.medium', vcpus: 2, cores: 1, memoryMiB: 4096, architecture: 'arm64' };
    const attributes = resolveTemplateAttributes(template, t3);
    expect(attributes).toEqual({
      type: ['String', 'ARM64'],
      ncpus: ['Numeric', '1'],
      ncores: ['Numeric', '1'],
      nram: ['Numeric', '4096'],
    });
    expect(hasMandatoryAttributes(attributes)).toBe(true);
    const counted = (counting: 'procs' | 'cores' | 'threads') =>
      resolveTemplateAttributes(template, { ...t3, vcpus: 8, cores: 4 }, counting)['ncpus'];
    expect([counted('procs'), counted('cores'), counted('threads')]).toEqual([
      ['Numeric', '1'],
      ['Numeric', '4'],
      ['Numeric', '8'],
    ]);
    // Without a core count (not every catalog has one) the threads stand in.
    expect(resolveTemplateAttributes(template, { instanceType: 'x', vcpus: 2, memoryMiB: 512 })['ncpus']).toEqual(['Numeric', '2']);
  });

  it('GPU types get ngpus and the model; what the template states wins', () => {
    const p4d = { instanceType: 'p4d.24xlarge', vcpus: 96, cores: 48, memoryMiB: 1179648, gpus: 8, gpuModel: 'NVIDIA A100' };
    expect(resolveTemplateAttributes(aTemplate({ attributes: {} }), p4d)).toMatchObject({
      ngpus: ['Numeric', '8'],
      gpumodel: ['String', 'NVIDIA A100'],
    });
    expect(resolveTemplateAttributes(aTemplate({ attributes: { ngpus: ['Numeric', '4'] } }), p4d)['ngpus']).toEqual(['Numeric', '4']);
    expect(resolveTemplateAttributes(aTemplate({ attributes: {} }), { instanceType: 't3.medium', vcpus: 2, memoryMiB: 4096 })).not.toHaveProperty(
      'ngpus',
    );
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
