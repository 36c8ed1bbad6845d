/**
 * Bounds the parser enforces while bytes arrive, so that a hostile or broken
 * peer costs at most about `maxFrameSize` bytes of memory per connection.
 */
export interface ParserLimits {
  /**
   * Largest frame in bytes: everything from the first byte of the command up
   * to, not including, the terminating NUL (command line, header lines with
   * their EOLs, the blank line and the body). Heart-beat EOLs between frames
   * are not counted.
   */
  maxFrameSize: number;
  /** Most header lines in one frame (repeated names count each time). */
  maxHeaders: number;
  /** Longest command or header line in bytes, EOL (LF or CRLF) excluded. */
  maxHeaderLineLength: number;
}

export const DEFAULT_PARSER_LIMITS: ParserLimits = {
  maxFrameSize: 4 * 1024 * 1024,
  maxHeaders: 128,
  maxHeaderLineLength: 8 * 1024,
};
