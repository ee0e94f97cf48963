import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { serverConfigSchema } from '../config/schema.js';
import { prometheusConfig, scrapeTarget } from './prometheus-config.js';

describe('scrapeTarget', () => {
  it.each([
    ['127.0.0.1:9480', '127.0.0.1:9480'],
    ['0.0.0.0:9480', '127.0.0.1:9480'],
    [':9480', '127.0.0.1:9480'],
    ['[::]:9480', '127.0.0.1:9480'],
    ['[::1]:9481', '[::1]:9481'],
    ['10.0.0.5:9480', '10.0.0.5:9480'],
  ])('%s → %s', (listen, target) => expect(scrapeTarget(listen)).toBe(target));
});

describe('prometheusConfig', () => {
  it('rules, Alertmanager and a scrape of the server; notes where the forwarded series come from', () => {
    const cfg = serverConfigSchema.parse({ listen: '0.0.0.0:9480', forward: [{ name: 'prom', url: 'http://127.0.0.1:9090/api/v1/write' }] });
    const text = prometheusConfig(cfg, { rulesFile: 'rules/cw.yml', alertmanager: '127.0.0.1:19093' });
    expect(parse(text)).toEqual({
      global: { scrape_interval: '15s', evaluation_interval: '15s' },
      rule_files: ['rules/cw.yml'],
      alerting: { alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:19093'] }] }] },
      scrape_configs: [{ job_name: 'centerwatch-server', scheme: 'http', metrics_path: '/metrics', static_configs: [{ targets: ['127.0.0.1:9480'] }] }],
      storage: { tsdb: { out_of_order_time_window: '6h' } },
    });
    expect(text).toContain('--web.enable-remote-write-receiver');
    expect(text).toContain('#   - prom: http://127.0.0.1:9090/api/v1/write');
  });

  it('scrapes over HTTPS when the server serves TLS, and says when nothing is forwarded', () => {
    const cfg = serverConfigSchema.parse({ tls: { cert_file: 'c.pem', key_file: 'k.pem' } });
    const text = prometheusConfig(cfg);
    expect(parse(text).scrape_configs[0].scheme).toBe('https');
    expect(text).toContain('forward: is empty');
  });
});
