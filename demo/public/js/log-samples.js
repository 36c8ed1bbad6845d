// Sample log traffic for the log viewer's "sample" button: plausible lines
// from a few sources at realistic level ratios, some as JSON and a few as
// broken JSON, so every rendering path of the viewer gets exercised.
import { topicName } from './log-format.js';

const SAMPLE_SOURCES = ['logs.web', 'logs.worker', 'logs.billing'];

const SAMPLE_LINES = {
  DEBUG: ['cache hit ratio 0.93', 'pool stats idle=4 busy=2', 'retrying in 250 ms'],
  INFO: [
    'GET /api/orders 200 12ms',
    'user signed in',
    'job finished in 1.4 s',
    'POST /api/cart 201 31ms',
    'listening on :8080',
  ],
  WARN: ['slow query took 812 ms', 'disk 81% full', 'rate limit close for client 10.0.4.2'],
  ERROR: ['payment gateway timeout', 'unhandled rejection: ECONNRESET', 'GET /api/orders 500 3ms'],
};
const SAMPLE_WEIGHTS = [
  ['DEBUG', 0.2],
  ['INFO', 0.6],
  ['WARN', 0.13],
  ['ERROR', 0.07],
];

function pick(list) {
  return list[Math.floor(Math.random() * list.length)];
}

/** A plausible log line; now and then JSON (and once in a while broken JSON). */
export function sampleLine(seq) {
  let r = Math.random();
  let level = 'INFO';
  for (const [name, weight] of SAMPLE_WEIGHTS) {
    if (r < weight) {
      level = name;
      break;
    }
    r -= weight;
  }
  const topic = pick(SAMPLE_SOURCES);
  const source = `${topicName(`/topic/${topic}`).slice(5)}-${1 + (seq % 3)}`;
  let body = pick(SAMPLE_LINES[level]);
  if (seq % 7 === 3) {
    body = JSON.stringify({
      level: level.toLowerCase(),
      msg: body,
      reqId: `r${seq}`,
      ms: seq % 97,
    });
  } else if (seq % 53 === 11) {
    body = `{"level":"${level.toLowerCase()}","msg":"truncated json line`;
  }
  return { destination: `/topic/${topic}`, body, headers: { level, source } };
}
