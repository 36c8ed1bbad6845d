import type { Frame } from '../../protocol/frame.js';
import { missingHeader, SessionError } from '../errors.js';
import type { Session } from '../session.js';
import type { Transaction } from '../transaction.js';

export function requireTransaction(session: Session, id: string, command: string): Transaction {
  const transaction = session.transactions.get(id);
  if (transaction === undefined) {
    throw new SessionError(
      'unknown-transaction',
      `unknown transaction ${id.slice(0, 80)}`,
      `${command} named transaction '${id.slice(0, 80)}', which is not open on this connection. Send BEGIN first.`,
    );
  }
  const limit = session.context.config.limits.maxFramesPerTransaction;
  if (command !== 'COMMIT' && command !== 'ABORT' && transaction.work.length >= limit) {
    throw new SessionError(
      'limit-exceeded',
      'transaction too large',
      `Transaction '${id.slice(0, 80)}' already holds ${limit} frames (limits.maxFramesPerTransaction). ` +
        'Commit in smaller batches, or raise the limit in the broker config.',
    );
  }
  return transaction;
}

function transactionId(frame: Frame): string {
  const id = frame.headers.transaction;
  if (id === undefined) throw missingHeader(frame.command, 'transaction');
  return id;
}

export function handleBegin(session: Session, frame: Frame): void {
  const id = transactionId(frame);
  if (session.transactions.has(id)) {
    throw new SessionError(
      'invalid-header',
      `transaction ${id.slice(0, 80)} already open`,
      `BEGIN named transaction '${id.slice(0, 80)}', which is already open. COMMIT or ABORT it first, or use a new id.`,
    );
  }
  const limit = session.context.config.limits.maxTransactionsPerConnection;
  if (session.transactions.size >= limit) {
    throw new SessionError(
      'limit-exceeded',
      'too many open transactions',
      `This connection already has ${limit} open transactions (limits.maxTransactionsPerConnection). ` +
        'COMMIT or ABORT some first.',
    );
  }
  session.transactions.set(id, { id, work: [] });
}

/** COMMIT: apply the held SENDs, ACKs and NACKs in the order they arrived; returns their store commits. */
export function handleCommit(session: Session, frame: Frame): Promise<void> | null {
  const id = transactionId(frame);
  const transaction = requireTransaction(session, id, 'COMMIT');
  session.transactions.delete(id);
  const broker = session.context.broker;
  const writes: Promise<void>[] = [];
  for (const work of transaction.work) {
    if (work.kind === 'send') {
      const stored = broker.publish(
        work.destination,
        work.headers,
        work.body,
        session.ownerId,
        work.options,
      );
      if (stored !== null) writes.push(stored);
    } else if (work.subscription.isPending(work.tag)) {
      if (work.kind === 'ack') broker.acked += work.subscription.ack(work.tag);
      else broker.nacked += work.subscription.nack(work.tag, work.mode);
    }
  }
  return writes.length === 0 ? null : Promise.all(writes).then(() => {});
}

/** ABORT: drop the held work; messages it would have acked stay unacknowledged. */
export function handleAbort(session: Session, frame: Frame): void {
  const id = transactionId(frame);
  requireTransaction(session, id, 'ABORT');
  session.transactions.delete(id);
}
