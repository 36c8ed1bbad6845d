import type { Frame } from '../../protocol/frame.js';
import { SessionError } from '../errors.js';
import type { Session } from '../session.js';
import { handleAck } from './ack.js';
import { handleConnect } from './connect.js';
import { handleDisconnect } from './disconnect.js';
import { handleSend } from './send.js';
import { handleSubscribe } from './subscribe.js';
import { handleAbort, handleBegin, handleCommit } from './transaction.js';
import { handleUnsubscribe } from './unsubscribe.js';

/** A handler returns the store commit its effect waits on, if any (the RECEIPT waits for it). */
type Handler = (session: Session, frame: Frame) => Promise<void> | null | undefined | void;

/** One handler per client command; adding a command is adding a file and a line here. */
const HANDLERS = new Map<string, Handler>([
  ['CONNECT', handleConnect],
  ['STOMP', handleConnect],
  ['SEND', handleSend],
  ['SUBSCRIBE', handleSubscribe],
  ['UNSUBSCRIBE', handleUnsubscribe],
  ['ACK', handleAck],
  ['NACK', handleAck],
  ['BEGIN', handleBegin],
  ['COMMIT', handleCommit],
  ['ABORT', handleAbort],
  ['DISCONNECT', handleDisconnect],
]);

const CLIENT_COMMANDS = [...HANDLERS.keys()].join(', ');

/** Run one frame through its handler, then answer its `receipt` once the effect is done. */
export function dispatchFrame(session: Session, frame: Frame): void {
  const command = frame.command;
  const handler = HANDLERS.get(command);
  if (handler === undefined) {
    throw new SessionError(
      'unknown-command',
      `unknown command ${command.slice(0, 32)}`,
      `'${command.slice(0, 32)}' is not a STOMP client command. Valid commands: ${CLIENT_COMMANDS}.`,
    );
  }
  const connecting = command === 'CONNECT' || command === 'STOMP';
  if (!connecting && session.state !== 'connected') {
    throw new SessionError(
      'not-connected',
      'not connected',
      `${command} arrived before CONNECT. Send a CONNECT (or STOMP) frame first and wait for CONNECTED.`,
    );
  }
  const receipt = frame.headers.receipt;
  const written = handler(session, frame);
  if (connecting || command === 'DISCONNECT' || session.state !== 'connected') return;
  // A RECEIPT means the effect is done: with a durable store, that includes every write issued so far.
  const wait = written ?? (receipt === undefined ? null : session.context.broker.writeBarrier());
  if (wait !== null && wait !== undefined) session.awaitWrite(wait, receipt);
  else if (receipt !== undefined) session.sendReceipt(receipt);
}
