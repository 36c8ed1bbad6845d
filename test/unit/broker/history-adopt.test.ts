import { describe, expect, it } from 'vitest';
import { TopicHistory } from '../../../server/src/broker/history.js';
import { createMessage, type Message } from '../../../server/src/broker/message.js';
import { createHeaders } from '../../../server/src/protocol/frame.js';

// Message-ids are `<broker prefix>-<counter>`: the prefix names the node that published.
function msg(id: string, seq: number): Message {
  return createMessage(id, seq, createHeaders(), Buffer.from(id));
}

function ids(history: TopicHistory): string[] {
  return history.select({ kind: 'all' }, Date.now()).map((m) => m.id);
}

describe('TopicHistory.adoptOlder: a cluster join stitches the stream to what it heard live', () => {
  it('leaves stream messages after the last one heard live to their live copy (the stream runs ahead)', () => {
    const history = new TopicHistory({ maxMessages: 100, maxAgeMs: 0 });
    history.append(msg('a-187', 1), Date.now()); // heard live before the stream was read
    history.adoptOlder(
      [msg('a-185', -4), msg('a-186', -3), msg('a-187', -2), msg('a-188', -1)],
      Date.now(),
    );
    expect(ids(history)).toEqual(['a-185', 'a-186', 'a-187']);
    // a-188's PUBLISH was still on its way: it arrives live and is kept then, once.
    expect(history.heardBefore('a-188')).toBe(false);
    history.append(msg('a-188', 2), Date.now());
    expect(ids(history)).toEqual(['a-185', 'a-186', 'a-187', 'a-188']);
  });

  it('adopts everything from an origin heard nothing of yet, and recognises its live copies once', () => {
    const history = new TopicHistory({ maxMessages: 100, maxAgeMs: 0 });
    history.append(msg('a-10', 1), Date.now());
    history.adoptOlder([msg('b-1', -3), msg('a-9', -2), msg('b-2', -1)], Date.now());
    expect(ids(history)).toEqual(['b-1', 'a-9', 'b-2', 'a-10']);
    expect(history.heardBefore('b-2')).toBe(true);
    expect(history.heardBefore('b-2')).toBe(false);
    expect(history.heardBefore('a-9')).toBe(false);
    history.forgetInFlight();
    expect(history.heardBefore('b-1')).toBe(false);
  });

  it('keeps the live copy of a message the stream also holds, in stream order for the others', () => {
    const history = new TopicHistory({ maxMessages: 100, maxAgeMs: 0 });
    history.append(msg('a-2', 1), Date.now());
    history.append(msg('a-3', 2), Date.now());
    history.adoptOlder([msg('a-1', -3), msg('a-2', -2), msg('a-3', -1)], Date.now());
    expect(ids(history)).toEqual(['a-1', 'a-2', 'a-3']);
    expect(history.select({ kind: 'all' }, Date.now()).map((m) => m.seq)).toEqual([-3, 1, 2]);
  });
});
