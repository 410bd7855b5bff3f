#!/usr/bin/env node
// Reads an strace log of connect(), sendto() and sendmsg() calls (written by isolate.sh) and
// reports every attempt to reach beyond this machine's loopback ports that were allowed.
//
//   node connections.mjs LOG [--allow-port N]... [--allow-loopback] [--ignore-program REGEX]...
//
// Prints one line per forbidden attempt on stderr and exits 1 when there is any, 0 otherwise.
// Allowed: IPv4/IPv6 loopback to an allowed port; Unix sockets (local IPC); netlink (interface
// listing); AF_UNSPEC (disconnects a socket). Everything else is forbidden, failed attempts
// included: a connect() to the internet that failed still shows the intent to send data out.
// nscd is the exception both ways: a connect() that reached a running nscd is forbidden (it
// resolves names on the host's network, outside the namespace); a failed one is not (glibc asks
// nscd for user names too, and without it falls back to DNS, whose port-53 connect() is caught).
// Attempts by a program matching an --ignore-program pattern (a test harness's browser, say) are
// listed but do not fail the run.
import { readFileSync } from 'node:fs';

/**
 * The log's lines with each call whole: when threads interleave, strace writes a call as
 * "PID connect(… <unfinished ...>" and later "PID <... connect resumed>) = -1 …"; joined here so
 * that a call's address and result are on one line.
 */
function wholeCalls(text) {
  const pending = new Map();
  const out = [];
  for (const line of text.split('\n')) {
    const start = /^(\d+)\s+(.*) <unfinished \.\.\.>$/.exec(line);
    if (start) {
      pending.set(start[1], start[2]);
      continue;
    }
    const end = /^(\d+)\s+<\.\.\. \w+ resumed>(.*)$/.exec(line);
    if (end && pending.has(end[1])) {
      out.push(`${end[1]}  ${pending.get(end[1])}${end[2]}`);
      pending.delete(end[1]);
      continue;
    }
    out.push(line);
  }
  return [...out, ...[...pending].map(([pid, call]) => `${pid}  ${call}`)];
}

/**
 * Which program each process (or thread) id ran: execve() sets it, clone()/fork() hand it to the
 * child. Lets a report say "chromium" or "node dist/sidecar.js" instead of a bare pid.
 */
function programs(lines) {
  const byPid = new Map();
  for (const line of lines) {
    const pid = /^(\d+)\s/.exec(line)?.[1];
    if (!pid) continue;
    const exec = /execve\("([^"]*)", \[((?:"(?:[^"\\]|\\.)*"(?:, )?){0,3})/.exec(line);
    if (exec && !/= -1/.test(line)) {
      const args = [...exec[2].matchAll(/"((?:[^"\\]|\\.)*)"/g)].slice(1).map((m) => m[1]);
      byPid.set(pid, [exec[1], ...args].join(' '));
      continue;
    }
    const child = /(?:clone3?|v?fork)(?:\(| resumed>).*= (\d+)$/.exec(line)?.[1];
    if (child && !byPid.has(child)) byPid.set(child, byPid.get(pid) ?? `pid ${pid}`);
  }
  return byPid;
}

/** @returns {{ line: string, program: string, family: string, address: string, port?: number }[]} */
function socketCalls(text) {
  const lines = wholeCalls(text);
  const byPid = programs(lines);
  const calls = [];
  for (const line of lines) {
    if (!/\b(connect|sendto|sendmsg)\(/.test(line)) continue;
    const family = /sa_family=(AF_[A-Z0-9]+)/.exec(line)?.[1];
    if (!family) continue; // sendto()/sendmsg() on a connected socket: its connect() was seen
    const port = /sin6?_port=htons\((\d+)\)/.exec(line)?.[1];
    const address =
      /sin_addr=inet_addr\("([^"]*)"\)/.exec(line)?.[1] ??
      /inet_pton\(AF_INET6, "([^"]*)"/.exec(line)?.[1] ??
      /sun_path=@?"([^"]*)"/.exec(line)?.[1] ??
      '';
    const pid = /^(\d+)\s/.exec(line)?.[1] ?? '?';
    const program = byPid.get(pid) ?? `pid ${pid}`;
    calls.push({ line: line.trim(), program, family, address, ...(port ? { port: Number(port) } : {}) });
  }
  return calls;
}

function isLoopback(address) {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./.test(address);
}

function forbiddenCalls(calls, allowedPorts) {
  return calls.filter((c) => {
    if (c.family === 'AF_INET' || c.family === 'AF_INET6')
      return !(isLoopback(c.address) && c.port !== undefined && (allowedPorts === 'any' || allowedPorts.has(c.port)));
    if (c.family === 'AF_UNIX') return /nscd/.test(c.address) && !/\)\s*= -1 /.test(c.line);
    // AF_UNSPEC only dissolves a UDP socket's association; netlink lists interfaces.
    return c.family !== 'AF_NETLINK' && c.family !== 'AF_UNSPEC';
  });
}

const [log, ...rest] = process.argv.slice(2);
if (!log) {
  console.error('usage: connections.mjs LOG [--allow-port N]...');
  process.exit(2);
}
let allowed = new Set();
const ignored = [];
for (let i = 0; i < rest.length; i++) {
  if (rest[i] === '--allow-loopback') {
    allowed = 'any';
    continue;
  }
  if (rest[i] === '--ignore-program' && rest[i + 1] !== undefined) {
    ignored.push(new RegExp(rest[++i]));
    continue;
  }
  const port = Number(rest[i + 1]);
  if (rest[i] !== '--allow-port' || !Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`connections.mjs: bad argument ${rest[i]} ${rest[i + 1] ?? ''}`);
    process.exit(2);
  }
  if (allowed !== 'any') allowed.add(port);
  i++;
}
const attempts = forbiddenCalls(socketCalls(readFileSync(log, 'utf8')), allowed);
const byHarness = (c) => ignored.some((re) => re.test(c.program));
for (const c of attempts.filter(byHarness)) console.error(`ignored network attempt by ${c.program}: ${c.line}`);
const forbidden = attempts.filter((c) => !byHarness(c));
for (const c of forbidden) console.error(`forbidden network attempt by ${c.program}: ${c.line}`);
process.exit(forbidden.length > 0 ? 1 : 0);
