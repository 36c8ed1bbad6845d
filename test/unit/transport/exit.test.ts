/**
 * The process must be able to exit once the listeners are closed and every
 * connection has ended: no transport may keep the event loop alive. Checked
 * in a child process running the transport modules (transpiled to plain JS
 * under node_modules/.cache so that `ws` and uWebSockets.js still resolve).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const sourceDir = join(root, 'server/src/transport');
const outDir = join(root, 'node_modules/.cache', `stompede-transport-exit-${process.pid}`);

const CHILD = `
import WebSocket from 'ws';
import { connect } from 'node:net';
import { listenUws } from './uws.js';
import { listenWs } from './ws.js';
import { listenTcp } from './tcp.js';

const kind = process.argv[2];
const connections = [];
const acceptor = {
  accept(connection) {
    connections.push(connection);
    return {
      onData() {
        // First bytes from the client: answer, then end gracefully.
        connection.send(Buffer.from('bye'));
        connection.end();
      },
      onDrain() {},
      onClose() {},
    };
  },
};
const http = () => ({ status: 404, headers: {}, body: '' });
const options = { host: '127.0.0.1', port: 0, maxPayload: 65536, maxBackpressure: 1 << 28 };
const listener =
  kind === 'uws' ? await listenUws(options, acceptor, http)
  : kind === 'ws' ? await listenWs(options, acceptor, http)
  : await listenTcp(options, acceptor);

await new Promise((done) => {
  if (kind === 'tcp') {
    const socket = connect(listener.port, '127.0.0.1', () => socket.write('hello'));
    socket.on('data', () => {});
    socket.on('end', () => socket.end());
    socket.on('close', done);
  } else {
    const ws = new WebSocket('ws://127.0.0.1:' + listener.port + '/stomp', ['v12.stomp']);
    ws.on('open', () => ws.send('hello'));
    ws.on('close', done);
  }
});
await listener.close();
process.stdout.write('done ' + connections.length);
// No process.exit(): the test fails if something keeps the loop alive.
`;

function runChild(kind: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [join(outDir, 'child.mjs'), kind], { cwd: outDir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child (${kind}) did not exit; stdout=${stdout} stderr=${stderr}`));
    }, 10_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

describe('process exit', () => {
  beforeAll(() => {
    mkdirSync(outDir, { recursive: true });
    for (const file of readdirSync(sourceDir).filter((f) => f.endsWith('.ts'))) {
      const { outputText } = ts.transpileModule(readFileSync(join(sourceDir, file), 'utf8'), {
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          verbatimModuleSyntax: true,
        },
      });
      writeFileSync(join(outDir, file.replace(/\.ts$/, '.js')), outputText);
    }
    writeFileSync(join(outDir, 'package.json'), '{"type":"module"}\n');
    writeFileSync(join(outDir, 'child.mjs'), CHILD);
  });

  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it.each(['uws', 'ws', 'tcp'])(
    '%s: exits after listener.close() once connections have ended',
    async (kind) => {
      const { code, stdout, stderr } = await runChild(kind);
      expect(stderr).toBe('');
      expect(stdout).toBe('done 1');
      expect(code).toBe(0);
    },
  );
});
