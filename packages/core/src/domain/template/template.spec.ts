import { aTemplate } from '../../testing/builders';
import { formatInstanceTags, instancePriority, instanceWeight, parseInstanceTags, purchaseOf, templateInstanceTypes } from './template';
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

describe('purchaseOf: IBM price types per launch attempt', () => {
  const types = { vmType: 'm5.large', vmTypes: { 'm5.large': 1, 'm5.xlarge': 2 } };

  it('ondemand buys every unit on-demand, whatever percentOnDemand says', () => {
    expect(purchaseOf(aTemplate({ ...types, priceType: 'ondemand', percentOnDemand: 10 }), 4, 1)).toEqual({
      onDemand: 4,
      instanceTypes: ['m5.large', 'm5.xlarge'],
      phase: 'single',
    });
  });

  it('spot buys round(count x percentOnDemand / 100) on-demand, half up within 0..count, on every attempt', () => {
    const spot = (percentOnDemand?: number) =>
      aTemplate({ ...types, priceType: 'spot', ...(percentOnDemand === undefined ? {} : { percentOnDemand }) });
    expect(purchaseOf(spot(30), 10, 1).onDemand).toBe(3);
    expect(purchaseOf(spot(30), 5, 2).onDemand).toBe(2); // 1.5 -> 2
    expect(purchaseOf(spot(10), 3, 1).onDemand).toBe(0); // 0.3 -> 0
    expect(purchaseOf(spot(150), 4, 1).onDemand).toBe(4);
    expect(purchaseOf(spot(), 4, 3)).toEqual({ onDemand: 0, instanceTypes: ['m5.large', 'm5.xlarge'], phase: 'single' });
  });

  it('heterogeneous buys as spot on the first attempt, then all on-demand from vmTypesOnDemand (else the template types)', () => {
    const hetero = aTemplate({ ...types, priceType: 'heterogeneous', percentOnDemand: 50, vmTypesOnDemand: { 'c5.large': 1, 'c5.xlarge': 2 } });
    expect(purchaseOf(hetero, 4, 1)).toEqual({ onDemand: 2, instanceTypes: ['m5.large', 'm5.xlarge'], phase: 'spot-first' });
    expect(purchaseOf(hetero, 3, 2)).toEqual({ onDemand: 3, instanceTypes: ['c5.large', 'c5.xlarge'], phase: 'on-demand-rest' });
    expect(purchaseOf(hetero, 1, 5).phase).toBe('on-demand-rest');
    const plain = aTemplate({ ...types, priceType: 'heterogeneous' });
    expect(purchaseOf(plain, 4, 1).onDemand).toBe(0);
    expect(purchaseOf(plain, 4, 2)).toEqual({ onDemand: 4, instanceTypes: ['m5.large', 'm5.xlarge'], phase: 'on-demand-rest' });
  });

  it('an on-demand type counts its vmTypesOnDemand weight when vmTypes does not list it', () => {
    const hetero = aTemplate({ ...types, priceType: 'heterogeneous', vmTypesOnDemand: { 'c5.xlarge': 2, 'm5.xlarge': 5 } });
    expect(instanceWeight(hetero, 'c5.xlarge')).toBe(2);
    expect(instanceWeight(hetero, 'm5.xlarge')).toBe(2); // vmTypes wins
    expect(instanceWeight(hetero, 'c5.large')).toBe(1);
  });
});

describe('instancePriority', () => {
  it('is the stated vmTypesPriority, after every stated one for an unnamed type, and the position without the map', () => {
    const ranked = aTemplate({ vmTypesPriority: { 'm5.large': 4, 'c5.large': 1 } });
    expect(instancePriority(ranked, 'c5.large', 0)).toBe(1);
    expect(instancePriority(ranked, 'm5.large', 1)).toBe(4);
    expect(instancePriority(ranked, 'r5.large', 2)).toBe(5);
    expect(instancePriority(aTemplate(), 'r5.large', 2)).toBe(2);
  });
});
