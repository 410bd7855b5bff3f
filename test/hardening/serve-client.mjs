#!/usr/bin/env node
// Starts `scout serve --model DIR --port PORT`, uses it as an OpenAI client would (list models,
// one chat completion), stops it with SIGINT and exits 0 when every step worked. Meant to run
// inside isolate.sh with --allow-port PORT: server and client share the namespace's loopback.
//
//   node test/hardening/serve-client.mjs MODEL_DIR PORT
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [model, port] = process.argv.slice(2);
if (!model || !port) {
  console.error('usage: serve-client.mjs MODEL_DIR PORT');
  process.exit(2);
}
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'scout.js');
const server = spawn(process.execPath, [cli, 'serve', '--model', model, '--port', port, '--context', '512'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve(code ?? signal)));
let stopping = false;

function fail(message) {
  console.error(`serve-client: ${message}`);
  server.kill('SIGKILL');
  process.exit(1);
}

// The server prints {"url": …} once it listens.
const url = await new Promise((resolve) => {
  let out = '';
  server.stdout.on('data', (chunk) => {
    out += chunk;
    const nl = out.indexOf('\n');
    if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)).url);
  });
  exited.then((code) => stopping || fail(`scout serve exited (${code}) before it was stopped`));
});

const models = await fetch(`${url}/models`);
if (!models.ok) fail(`GET /models: HTTP ${models.status}`);
const ids = (await models.json()).data.map((m) => m.id);
if (ids.length === 0) fail('GET /models listed no model');

const chat = await fetch(`${url}/chat/completions`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ model: ids[0], messages: [{ role: 'user', content: 'Say hi.' }], max_tokens: 3 }),
});
if (!chat.ok) fail(`POST /chat/completions: HTTP ${chat.status} ${await chat.text()}`);
const answer = await chat.json();
if (typeof answer.choices?.[0]?.message?.content !== 'string') fail(`no answer in ${JSON.stringify(answer)}`);

stopping = true;
server.kill('SIGINT');
const code = await exited;
if (code !== 0) fail(`scout serve exited with ${code} after SIGINT`);
console.log(`serve-client: ${ids[0]} answered ${JSON.stringify(answer.choices[0].message.content)}`);
