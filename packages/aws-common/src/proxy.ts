import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';

/**
 * Where AWS requests go through a forward proxy. `url` is the site's explicit proxy
 * (AWS_PROXY_HOST/AWS_PROXY_PORT, `provider.aws.proxy_host`/`proxy_port`) and wins for every
 * endpoint; otherwise the standard environment applies: `httpsProxy` (HTTPS_PROXY) for https
 * endpoints, `httpProxy` (HTTP_PROXY) for http ones. `noProxy` (NO_PROXY) names the hosts that
 * are reached directly, whichever proxy is set.
 */
export interface ProxySettings {
  readonly url?: string | undefined;
  readonly httpsProxy?: string | undefined;
  readonly httpProxy?: string | undefined;
  readonly noProxy?: string | undefined;
}

/** The proxy URL for requests to `target`, or undefined when they go direct. */
export function proxyFor(target: URL, settings: ProxySettings): string | undefined {
  if (bypassesProxy(target, settings.noProxy ?? '')) return undefined;
  if (settings.url) return settings.url;
  return (target.protocol === 'https:' ? settings.httpsProxy : settings.httpProxy) || undefined;
}

/**
 * Whether NO_PROXY names `target`, as curl and most tools read it: entries separated by commas
 * or spaces; `*` matches every host; `example.com`, `.example.com` and `*.example.com` match the
 * host and its subdomains; an entry may carry `:port`; an IP entry matches that address (an
 * IPv4 CIDR such as `10.0.0.0/8` matches its range).
 */
export function bypassesProxy(target: URL, noProxy: string): boolean {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = target.port || (target.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const { name, entryPort } = splitPort(entry);
    if (entryPort && entryPort !== port) continue;
    if (name.includes('/') ? inCidr(host, name) : matchesHost(host, name)) return true;
  }
  return false;
}

function splitPort(entry: string): { name: string; entryPort: string | undefined } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { name: bracketed[1] as string, entryPort: bracketed[2] };
  const withPort = /^([^:]+):(\d+)$/.exec(entry);
  if (withPort) return { name: withPort[1] as string, entryPort: withPort[2] };
  return { name: entry, entryPort: undefined };
}

function matchesHost(host: string, name: string): boolean {
  const domain = name.replace(/^\*?\./, '');
  return host === domain || host.endsWith(`.${domain}`);
}

function inCidr(host: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  const hostValue = ipv4Value(host);
  const baseValue = ipv4Value(base ?? '');
  if (hostValue === undefined || baseValue === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (hostValue & mask) >>> 0 === (baseValue & mask) >>> 0;
}

function ipv4Value(address: string): number | undefined {
  const parts = address.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((value, part) => ((value << 8) | Number(part)) >>> 0, 0);
}

interface ProxyAgentClasses {
  readonly HttpProxyAgent: typeof import('http-proxy-agent').HttpProxyAgent;
  readonly HttpsProxyAgent: typeof import('https-proxy-agent').HttpsProxyAgent;
}

let loaded: ProxyAgentClasses | undefined;

/**
 * Loads the proxy agents (chunks of their own: about 15 ms a direct call never pays). Call it
 * before building clients when `settings` name a proxy; harmless otherwise.
 */
export async function loadProxyAgents(settings: ProxySettings | undefined): Promise<void> {
  if (!settings || !(settings.url || settings.httpsProxy || settings.httpProxy)) return;
  if (loaded) return;
  const [http, https] = await Promise.all([import('http-proxy-agent'), import('https-proxy-agent')]);
  // A CommonJS package imported from an ES module bundle arrives as its `default` export.
  const named = <M extends object>(module: M): M => (module as { default?: M }).default ?? module;
  loaded = { HttpProxyAgent: named(http).HttpProxyAgent, HttpsProxyAgent: named(https).HttpsProxyAgent };
}

/**
 * The handler's agents for requests to `target` through the proxy that applies, kept alive and
 * bounded to `maxSockets` when given; undefined when requests to `target` go direct. An https
 * endpoint is reached by CONNECT through the proxy (the TLS session stays end to end); an http
 * one (a local emulator) by absolute-URI requests to the proxy.
 */
export function proxyAgents(target: URL, settings: ProxySettings, maxSockets?: number): { http: HttpAgent; https: HttpsAgent } | undefined {
  const proxy = proxyFor(target, settings);
  if (!proxy) return undefined;
  const pool = { keepAlive: true, ...(maxSockets ? { maxSockets } : {}) };
  if (!loaded) throw new Error('proxy agents not loaded: await loadProxyAgents() before building a client that uses a proxy');
  const { HttpProxyAgent, HttpsProxyAgent } = loaded;
  return {
    http: new HttpProxyAgent(proxy, pool),
    // agent-base's agents extend http.Agent and serve https requests (the handler only calls addRequest).
    https: new HttpsProxyAgent(proxy, pool) as unknown as HttpsAgent,
  };
}
