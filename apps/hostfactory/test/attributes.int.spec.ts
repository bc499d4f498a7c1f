// The attributes HF sees, derived from DescribeInstanceTypes on moto_server through the real
// getAvailableTemplates script: ncpus as EGO counts CPUs (EGO_DEFINE_NCPUS), GPUs for GPU types.
import { hf, installation, motoEndpoint, runOk, type HfEnvironment } from './hf';

describe('template attributes derived from the instance type', () => {
  let environment: HfEnvironment;
  let network: { subnetIds: string[]; securityGroupId: string };

  const templates = () => [
    hf.ondemandTemplate(network, { templateId: 'M5', vmType: 'm5.large', attributes: {} }),
    hf.ondemandTemplate(network, { templateId: 'GPU', vmType: 'p4d.24xlarge', attributes: {} }),
    hf.ondemandTemplate(network, { templateId: 'Stated', vmType: 'm5.large', attributes: { ncpus: ['Numeric', '6'] } }),
  ];

  const attributesBy = async (config: Record<string, unknown>): Promise<Map<string, Record<string, [string, string]>>> => {
    hf.writeProviderFiles(environment.confDir, {
      config: { AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL: motoEndpoint(), ...config },
      templates: templates(),
    });
    const answer = await runOk('getAvailableTemplates', {}, environment.env);
    return new Map(answer.templates.map((t: { templateId: string; attributes: Record<string, [string, string]> }) => [t.templateId, t.attributes]));
  };

  beforeAll(async () => {
    environment = await installation();
    network = await hf.createNetwork(motoEndpoint());
  });

  it('counts an m5.large (1 core, 2 threads) as 1 CPU by default, as EGO does, and 2 with EGO_DEFINE_NCPUS=threads', async () => {
    const byDefault = await attributesBy({});
    expect(byDefault.get('M5')).toMatchObject({ ncpus: ['Numeric', '1'], ncores: ['Numeric', '1'], nram: ['Numeric', '8192'] });
    const threads = await attributesBy({ EGO_DEFINE_NCPUS: 'threads' });
    expect(threads.get('M5')).toMatchObject({ ncpus: ['Numeric', '2'], ncores: ['Numeric', '1'] });
    const procs = await attributesBy({ EGO_DEFINE_NCPUS: 'procs' });
    expect(procs.get('M5')?.['ncpus']).toEqual(['Numeric', '1']);
    // What a template states wins.
    expect(threads.get('Stated')?.['ncpus']).toEqual(['Numeric', '6']);
  });

  it('gives a GPU type ngpus and the GPU model', async () => {
    const attributes = await attributesBy({});
    expect(attributes.get('GPU')).toMatchObject({ ngpus: ['Numeric', '8'], gpumodel: ['String', 'NVIDIA A100'], ncpus: ['Numeric', '48'] });
    expect(attributes.get('M5')).not.toHaveProperty('ngpus');
  });
});
