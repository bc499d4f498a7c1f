import { apiShape } from './api-shape';

describe('apiShape', () => {
  it('upper-cases the first letter of every key at every depth, keeping arrays and values', () => {
    expect(
      apiShape({
        vCpuCount: { min: 2, max: 8 },
        memoryMiB: { min: 4096 },
        cpuManufacturers: ['intel', 'amd'],
        burstablePerformance: 'excluded',
        nested: [{ aB: 1 }],
      }),
    ).toEqual({
      VCpuCount: { Min: 2, Max: 8 },
      MemoryMiB: { Min: 4096 },
      CpuManufacturers: ['intel', 'amd'],
      BurstablePerformance: 'excluded',
      Nested: [{ AB: 1 }],
    });
    expect(apiShape('x')).toBe('x');
  });
});
