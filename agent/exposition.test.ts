import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AgentMetrics } from './exposition.js';
import { defineProbe, success, failure } from './probes/types.js';

const fake = defineProbe({
  kind: 'fake',
  targetHelp: '',
  targetRequired: true,
  targetProblem: () => undefined,
  options: z.object({}),
  metrics: {
    status: { name: 'centerwatch_fake_status_code', help: 'A status code.', type: 'gauge' },
    mount: { name: 'centerwatch_fake_used_ratio', help: 'Use per mount.', type: 'gauge', labels: ['mount'] },
    sent: { name: 'centerwatch_fake_sent_total', help: 'Sent.', type: 'counter' },
    rtt: { name: 'centerwatch_fake_rtt_seconds', help: 'RTT.', type: 'histogram', buckets: [0.01, 0.1] },
  },
  run: async () => success(),
});

const web = { id: 'web', kind: 'fake', line: 'inet1', impact: 'blocking', group: 'links', labels: { counter: '2' } };
const other = { id: 'other', kind: 'fake', impact: 'info', labels: {} };

describe('AgentMetrics', () => {
  it('exports the common gauges with check labels and the union of static labels', async () => {
    const m = new AgentMetrics([web, other], { fake });
    m.record(web, success({ phases: { connect: 0.01 } }), 0.02);
    const text = await m.registry.metrics();
    expect(text).toContain('centerwatch_probe_success{check="web",kind="fake",line="inet1",counter="2"} 1');
    expect(text).toContain('centerwatch_probe_duration_seconds{check="web",kind="fake",line="inet1",counter="2"} 0.02');
    expect(text).toContain('centerwatch_probe_reason{check="web",kind="fake",line="inet1",counter="2",reason="ok"} 1');
    expect(text).toContain('centerwatch_probe_phase_seconds{check="web",kind="fake",line="inet1",counter="2",phase="connect"} 0.01');
    expect(text).toContain('centerwatch_check_info{check="other",kind="fake",line="",impact="info",group=""} 1');
    expect(text).toContain('centerwatch_probe_runs_total{check="other",kind="fake",line="",counter="",result="failure"} 0');
  });

  it("carries a check's description and its line's description (the carrier) on check_info, for the server's words", async () => {
    const named = { ...web, description: 'Máy in quầy 1', lineDescription: 'Cáp quang VNPT' };
    const text = await new AgentMetrics([named, other], { fake }).registry.metrics();
    expect(text).toContain(
      'centerwatch_check_info{check="web",kind="fake",line="inet1",impact="blocking",group="links",description="Máy in quầy 1",line_description="Cáp quang VNPT"} 1',
    );
    expect(text).toContain('centerwatch_check_info{check="other",kind="fake",line="",impact="info",group=""} 1');
  });

  it('removes gauges a later run did not report, and keeps only the current reason', async () => {
    const m = new AgentMetrics([web], { fake });
    m.record(
      web,
      success({
        observations: [
          { metric: 'status', value: 200 },
          { metric: 'mount', value: 0.5, labels: { mount: '/' } },
          { metric: 'mount', value: 0.7, labels: { mount: '/data' } },
        ],
      }),
      0.1,
    );
    m.record(web, failure('refused', 'connect ECONNREFUSED', { observations: [{ metric: 'mount', value: 0.6, labels: { mount: '/' } }] }), 0.1);
    const text = await m.registry.metrics();
    expect(text).not.toContain('centerwatch_fake_status_code{');
    expect(text).not.toContain('mount="/data"');
    expect(text).toContain('centerwatch_fake_used_ratio{check="web",kind="fake",line="inet1",counter="2",mount="/"} 0.6');
    expect(text).toContain('reason="refused"} 1');
    expect(text).not.toContain('reason="ok"');
    expect(text).toContain('centerwatch_probe_success{check="web",kind="fake",line="inet1",counter="2"} 0');
  });

  it('adds counter increments and observes histogram samples', async () => {
    const m = new AgentMetrics([web], { fake });
    m.record(
      web,
      success({
        observations: [
          { metric: 'sent', value: 3 },
          { metric: 'rtt', value: 0.005 },
          { metric: 'rtt', value: 0.05 },
        ],
      }),
      0.1,
    );
    m.record(web, success({ observations: [{ metric: 'sent', value: 2 }] }), 0.1);
    const text = await m.registry.metrics();
    expect(text).toContain('centerwatch_fake_sent_total{check="web",kind="fake",line="inet1",counter="2"} 5');
    expect(text).toContain('centerwatch_fake_rtt_seconds_bucket{le="0.01",check="web",kind="fake",line="inet1",counter="2"} 1');
    expect(text).toContain('centerwatch_fake_rtt_seconds_count{check="web",kind="fake",line="inet1",counter="2"} 2');
    expect(text).toContain('centerwatch_probe_runs_total{check="web",kind="fake",line="inet1",counter="2",result="success"} 2');
  });
});
