import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { bypassesProxy, loadProxyAgents, proxyAgents, proxyFor } from './proxy';

describe('NO_PROXY matching', () => {
  const at = (url: string, noProxy: string) => bypassesProxy(new URL(url), noProxy);

  it.each([
    ['https://ec2.us-east-1.amazonaws.com', '.amazonaws.com', true],
    ['https://ec2.us-east-1.amazonaws.com', '*.amazonaws.com', true],
    ['https://ec2.us-east-1.amazonaws.com', 'amazonaws.com', true],
    ['https://amazonaws.com', '.amazonaws.com', true],
    ['https://notamazonaws.com', 'amazonaws.com', false],
    ['https://ec2.us-east-1.amazonaws.com', 'ec2.us-east-1.amazonaws.com:443', true],
    ['https://ec2.us-east-1.amazonaws.com', 'ec2.us-east-1.amazonaws.com:8443', false],
    ['http://127.0.0.1:5000', 'localhost, 127.0.0.1', true],
    ['http://127.0.0.1:5000', '127.0.0.1:5000', true],
    ['http://127.0.0.1:5000', '127.0.0.1:5001', false],
    ['http://10.1.2.3:80', '10.0.0.0/8', true],
    ['http://11.1.2.3:80', '10.0.0.0/8', false],
    ['http://[::1]:5000', '::1', true],
    ['https://sqs.eu-west-1.amazonaws.com', '*', true],
    ['https://sqs.eu-west-1.amazonaws.com', '', false],
    ['https://sqs.eu-west-1.amazonaws.com', ' , ', false],
  ])('%s with NO_PROXY=%j: direct %s', (url, noProxy, direct) => {
    expect(at(url, noProxy)).toBe(direct);
  });
});

describe('proxyFor', () => {
  const https = new URL('https://ec2.us-east-1.amazonaws.com');
  const http = new URL('http://127.0.0.1:5000');

  it('the explicit proxy (AWS_PROXY_HOST) serves every endpoint; HTTPS_PROXY / HTTP_PROXY serve their scheme', () => {
    expect(proxyFor(https, { url: 'http://p:3128', httpsProxy: 'http://other:1' })).toBe('http://p:3128');
    expect(proxyFor(http, { url: 'http://p:3128' })).toBe('http://p:3128');
    expect(proxyFor(https, { httpsProxy: 'http://s:1', httpProxy: 'http://h:1' })).toBe('http://s:1');
    expect(proxyFor(http, { httpsProxy: 'http://s:1', httpProxy: 'http://h:1' })).toBe('http://h:1');
    expect(proxyFor(http, { httpsProxy: 'http://s:1' })).toBeUndefined();
  });

  it('NO_PROXY wins over both', () => {
    expect(proxyFor(https, { url: 'http://p:3128', noProxy: '.amazonaws.com' })).toBeUndefined();
    expect(proxyFor(https, { httpsProxy: 'http://s:1', noProxy: '.amazonaws.com' })).toBeUndefined();
  });
});

describe('proxyAgents', () => {
  it('are loaded on demand, and only for settings that name a proxy', async () => {
    expect(() => proxyAgents(new URL('https://ec2.us-east-1.amazonaws.com'), { url: 'http://p:3128' })).toThrow('loadProxyAgents');
    await loadProxyAgents({ noProxy: '*' });
    expect(() => proxyAgents(new URL('https://ec2.us-east-1.amazonaws.com'), { url: 'http://p:3128' })).toThrow('loadProxyAgents');
    await loadProxyAgents({ url: 'http://p:3128' });
    const agents = proxyAgents(new URL('https://ec2.us-east-1.amazonaws.com'), { url: 'http://p:3128' }, 4);
    expect(agents?.https).toBeInstanceOf(HttpsProxyAgent);
    expect(agents?.http).toBeInstanceOf(HttpProxyAgent);
    expect((agents?.https as unknown as HttpsProxyAgent<string>).proxy.href).toBe('http://p:3128/');
    expect(agents?.http.maxSockets).toBe(4);
    expect((agents?.http as unknown as { keepAlive: boolean }).keepAlive).toBe(true);
  });

  it('undefined when requests to the endpoint go direct', async () => {
    await loadProxyAgents({ url: 'http://p:3128' });
    expect(proxyAgents(new URL('http://127.0.0.1:5000'), { url: 'http://p:3128', noProxy: '127.0.0.1' })).toBeUndefined();
  });
});
