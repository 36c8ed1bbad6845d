import type { Frame } from '../protocol/frame.js';
import { SessionError } from './errors.js';
import type { Session } from './session.js';

/** Frames a client may send after CONNECT before CONNECTED (while its login is checked). */
const MAX_HELD_FRAMES = 64;

// Frames that arrive while CONNECT's authentication is pending wait here and
// run in order once it settles (clients pipeline SUBSCRIBE after CONNECT).

/**
 * Hold the frames that arrive until `work` (CONNECT's authentication)
 * settles, then run them in order; if it fails, ERROR and close.
 */
export function suspendSessionUntil(session: Session, work: Promise<void>): void {
  session.heldFrames ??= [];
  work.then(
    () => releaseHeldFrames(session),
    (err: unknown) => {
      session.heldFrames = null;
      session.heldBytes = 0;
      session.fail(err);
    },
  );
}

export function holdFrame(session: Session, frame: Frame): void {
  session.heldBytes += frame.body.length;
  if (
    session.heldFrames!.length >= MAX_HELD_FRAMES ||
    session.heldBytes > session.context.config.limits.maxFrameSize
  ) {
    session.heldFrames = null;
    session.fail(
      new SessionError(
        'limit-exceeded',
        'too many frames before CONNECTED',
        `Up to ${MAX_HELD_FRAMES} frames may follow CONNECT before CONNECTED arrives; more came. Wait for CONNECTED.`,
      ),
    );
    return;
  }
  session.heldFrames!.push(frame);
}

export function releaseHeldFrames(session: Session): void {
  const frames = session.heldFrames ?? [];
  session.heldFrames = null;
  session.heldBytes = 0;
  for (let i = 0; i < frames.length; i++) {
    if (session.state === 'closing' || session.state === 'closed') return;
    if (session.heldFrames !== null) {
      // Suspended again: the rest waits behind that.
      for (const frame of frames.slice(i)) holdFrame(session, frame);
      return;
    }
    session.onFrame(frames[i]!);
  }
}
