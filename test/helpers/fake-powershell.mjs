#!/usr/bin/env node
// A stand-in for `powershell.exe -Command -` on Linux: reads the agent's lines on stdin and
// answers each query in the agent's framing (marker OK / JSON / marker END, CRLF line ends as on
// Windows). It runs no PowerShell: it recognises the query by a substring and answers with a
// recorded fixture, or acts out a failure the query names:
//   fake:hang      never answers          fake:die      exits at once (status 3)
//   fake:garbage   prints lines, no frame fake:badjson  a frame whose body is not JSON
//   fake:huge      an 8 MiB answer        fake:throw    an ERR frame (a CimException)
//   fake:stray     a stray line, then {}  fake:echo     {"pid":…,"n":…} (n counts queries)
//   fake:slow      {"n":…} after 150 ms
// Environment: FAKE_PS_ANSWERS  JSON {"substring": "fixture file"}, first match answers;
//              FAKE_PS_LOG      a file to append one JSON line per start and per line read;
//              FAKE_PS_DIE_ON_START=1  exit (status 5) as soon as started;
//              FAKE_PS_CHUNK    write answers in pieces of this many bytes (splits UTF-8 sequences).
import { appendFileSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Buffer } from 'node:buffer';
import { setImmediate, setTimeout } from 'node:timers';

const log = (o) => {
  if (process.env.FAKE_PS_LOG) appendFileSync(process.env.FAKE_PS_LOG, `${JSON.stringify({ ...o, pid: process.pid, t: Date.now() })}\n`);
};
log({ event: 'start', argv: process.argv.slice(2) });
if (process.env.FAKE_PS_DIE_ON_START === '1') process.exit(5);

const answers = Object.entries(JSON.parse(process.env.FAKE_PS_ANSWERS ?? '{}'));
const chunk = Number(process.env.FAKE_PS_CHUNK ?? 0);
let n = 0;

function write(text) {
  const bytes = Buffer.from(text, 'utf8');
  if (!chunk) return process.stdout.write(bytes);
  let i = 0;
  const next = () => {
    if (i >= bytes.length) return;
    process.stdout.write(bytes.subarray(i, i + chunk));
    i += chunk;
    setImmediate(next);
  };
  next();
}

const frame = (marker, status, body) => write(`\r\n${marker} ${status}\r\n${body}\r\n${marker} END\r\n`);

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  log({ event: 'line', text: line });
  if (line.trim() === 'exit') process.exit(0);
  const marker = /"(CW[0-9a-f]+Q\d+) OK"/.exec(line)?.[1];
  if (!marker) return; // the prelude, or a line that is no query
  n++;
  if (line.includes('fake:hang')) return;
  if (line.includes('fake:die')) process.exit(3);
  if (line.includes('fake:garbage')) return write('Get-CimInstance : lỗi\r\n'.repeat(50));
  if (line.includes('fake:badjson')) return frame(marker, 'OK', '{"devices":[{"Name":');
  if (line.includes('fake:huge')) return frame(marker, 'OK', JSON.stringify({ blob: 'x'.repeat(8 * 1024 * 1024) }));
  if (line.includes('fake:throw'))
    return frame(
      marker,
      'ERR',
      JSON.stringify({ type: 'Microsoft.Management.Infrastructure.CimException', hresult: -2146233088, message: 'Lớp không hợp lệ' }),
    );
  if (line.includes('fake:stray')) {
    write('WARNING: stray output\r\n');
    return frame(marker, 'OK', '{}');
  }
  if (line.includes('fake:echo')) return frame(marker, 'OK', JSON.stringify({ pid: process.pid, n }));
  if (line.includes('fake:slow')) return setTimeout(() => frame(marker, 'OK', JSON.stringify({ n })), 150);
  const hit = answers.find(([needle]) => line.includes(needle));
  if (!hit) return frame(marker, 'ERR', JSON.stringify({ type: 'Fake.NoFixture', hresult: 0, message: 'no fixture for this query' }));
  frame(marker, 'OK', readFileSync(hit[1], 'utf8').trim());
});
