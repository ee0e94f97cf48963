import { describe, expect, it } from 'vitest';
import { parseIppResponse, TAG, type IppGroup, type IppValue } from './ipp-codec.js';
import { encodeGetJobs, MAX_JOBS, OP_GET_JOBS, oldestJobAge } from './printer-cups-jobs.js';

describe('encodeGetJobs', () => {
  it('asks for the not-completed jobs of every user, with the attributes the age needs', () => {
    const buf = encodeGetJobs({ printerUri: 'ipp://127.0.0.1:631/printers/q1', requestId: 7, user: 'centerwatch' });
    // A request has the same layout as a response, the operation in the status slot.
    const req = parseIppResponse(buf);
    expect(req).toMatchObject({ version: '1.1', statusCode: OP_GET_JOBS, requestId: 7 });
    const op = req.groups[0]!;
    expect(op.tag).toBe(TAG.operation);
    expect([...op.attributes.keys()].slice(0, 3)).toEqual(['attributes-charset', 'attributes-natural-language', 'printer-uri']);
    expect(Object.fromEntries(op.attributes)).toMatchObject({
      'printer-uri': ['ipp://127.0.0.1:631/printers/q1'],
      'requesting-user-name': ['centerwatch'],
      limit: [MAX_JOBS],
      'which-jobs': ['not-completed'],
      'my-jobs': [false],
      'requested-attributes': ['job-id', 'job-state', 'time-at-creation', 'job-printer-up-time'],
    });
  });
});

function job(attrs: Record<string, IppValue[]>): IppGroup {
  return { tag: TAG.job, attributes: new Map(Object.entries(attrs)) };
}
const res = (groups: IppGroup[]) => ({ version: '1.1', statusCode: 0, requestId: 1, groups: [{ tag: TAG.operation, attributes: new Map() }, ...groups] });

describe('oldestJobAge', () => {
  it('is 0 with no job, else the age of the oldest pending or processing job by the server clock', () => {
    expect(oldestJobAge(res([]))).toBe(0);
    const jobs = [
      job({ 'job-id': [1], 'job-state': [5], 'time-at-creation': [1000], 'job-printer-up-time': [1400] }),
      job({ 'job-id': [2], 'job-state': [3], 'time-at-creation': [1300], 'job-printer-up-time': [1400] }),
    ];
    expect(oldestJobAge(res(jobs))).toBe(400);
  });

  it('leaves out jobs held on purpose', () => {
    expect(oldestJobAge(res([job({ 'job-state': [4], 'time-at-creation': [0], 'job-printer-up-time': [9000] })]))).toBe(0);
  });

  it('is undefined when a waiting job comes without its times', () => {
    expect(oldestJobAge(res([job({ 'job-state': [3], 'time-at-creation': [10] })]))).toBeUndefined();
  });
});
