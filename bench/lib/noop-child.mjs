#!/usr/bin/env node
/** Start-up floor: a Node process that announces itself at once (what `startup` compares against). */
import { announce, serveIpc } from './server-child.mjs';

serveIpc();
announce({ noop: true });
