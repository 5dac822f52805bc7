'use strict';
// A second, small implementation of the deliverycheck protocol (docs/node.md, docs/protocol.md) in
// Node.js with the `ws` package: one node, at-least-once, no receipts, no order. Messages, device
// registrations, acks and reads are appended to <data-dir>/log.jsonl and fsynced before they are
// answered (grouped: one fsync per turn of the event loop); a restart replays the log.
//
//   node server.js --id n1 --host 127.0.0.11 --port 8080 --data-dir DIR [--mode honest|buggy]
//
// --mode buggy plants a bug: a send is answered "accepted" at once and written to the log (and
// only then pushed) every second, so a crash (SIGKILL) loses what was accepted in the last second:
// the checker must find `lost`. Token: DC_TOKEN (empty: none).
const fs = require('fs');
const http = require('http');
const path = require('path');
const { WebSocketServer } = require('ws');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
for (const k of ['id', 'host', 'port', 'data-dir']) {
  if (!args[k]) { console.error(`--${k} is required`); process.exit(2); }
}
const mode = args.mode || 'honest';
if (!['honest', 'buggy'].includes(mode)) { console.error(`--mode ${mode}: choose honest or buggy`); process.exit(2); }
const token = process.env.DC_TOKEN || '';
const ACK_TIMEOUT_MS = 1000;
const BACKOFF_MAX_MS = 5000;
const TICK_MS = 200;

// ---- state, rebuilt from the log ----
const devices = new Map();      // user -> Set(device)
const messages = new Map();     // msg -> {msg, id, from}
const deliveries = new Map();   // msg|user|device -> {msg, recipient, device, state, attempts, nextAt}
let seq = 0;
const logFile = path.join(args['data-dir'], 'log.jsonl');

function applyRecord(r) {
  switch (r.t) {
    case 'dev':
      if (!devices.has(r.u)) devices.set(r.u, new Set());
      devices.get(r.u).add(r.d);
      break;
    case 'msg':
      messages.set(r.msg, { msg: r.msg, id: r.id, from: r.from });
      for (const o of r.owed) {
        deliveries.set(`${r.msg}|${o.recipient}|${o.device}`,
          { msg: r.msg, recipient: o.recipient, device: o.device, state: 'pending', attempts: 0, nextAt: 0 });
      }
      seq = Math.max(seq, r.seq || 0);
      break;
    case 'ack': {
      const d = deliveries.get(`${r.msg}|${r.u}|${r.d}`);
      if (d && d.state === 'pending') d.state = 'delivered';
      break;
    }
    case 'read': {
      const d = deliveries.get(`${r.msg}|${r.u}|${r.d}`);
      if (d) d.state = 'read';
      break;
    }
  }
}

fs.mkdirSync(args['data-dir'], { recursive: true });
if (fs.existsSync(logFile)) {
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line) continue;
    try { applyRecord(JSON.parse(line)); } catch (e) { /* a torn last line after a crash */ }
  }
}
const fd = fs.openSync(logFile, 'a');
// A new file's name is durable only once its directory is fsynced: without this, a power cut
// (deliverycheck's power-loss fault) took back the whole log, although every append was fsynced.
fs.fsyncSync(fd);
const dirFd = fs.openSync(args['data-dir'], 'r');
fs.fsyncSync(dirFd);
fs.closeSync(dirFd);

// ---- the log: group commit (honest) or a lazy flush (buggy) ----
let pending = [];      // [{record, done}]
let lazy = [];         // buggy mode's sends, written only by the timer
let scheduled = false;
function flush() {
  scheduled = false;
  if (pending.length === 0) return;
  const batch = pending;
  pending = [];
  writeBatch(batch);
}
function flushLazy() {
  const batch = lazy;
  lazy = [];
  if (batch.length > 0) writeBatch(batch);
}
function writeBatch(batch) {
  fs.writeSync(fd, batch.map(p => JSON.stringify(p.record) + '\n').join(''));
  fs.fsyncSync(fd);
  for (const p of batch) if (p.done) p.done();
}
/** Appends a record; `done` runs once it is on disk: in the next group commit, or (later) at the buggy timer's flush. */
function write(record, done, later) {
  if (later) {
    lazy.push({ record, done });
    return;
  }
  pending.push({ record, done });
  if (!scheduled) { scheduled = true; setImmediate(flush); }
}
if (mode === 'buggy') setInterval(flushLazy, 1000);

// ---- device sockets and pushes ----
const sockets = new Map(); // "user/device" -> ws
function push(d) {
  const ws = sockets.get(`${d.recipient}/${d.device}`);
  if (!ws || d.state !== 'pending') return;
  const m = messages.get(d.msg);
  d.attempts += 1;
  // the next push if no ack: the ack timeout, doubled per attempt up to the cap (slow acks must not
  // turn into a storm of pushes)
  d.nextAt = Date.now() + Math.min(BACKOFF_MAX_MS, ACK_TIMEOUT_MS * 2 ** (d.attempts - 1));
  ws.send(JSON.stringify({ type: 'push', msg: d.msg, id: m.id, from: m.from, recipient: d.recipient,
    device: d.device, attempt: d.attempts }));
}
setInterval(() => {
  const now = Date.now();
  for (const d of deliveries.values()) if (d.state === 'pending' && d.nextAt <= now) push(d);
}, TICK_MS);

function onDeviceFrame(user, device, ws, text) {
  let f;
  try { f = JSON.parse(text); } catch (e) { ws.send(JSON.stringify({ type: 'error', error: 'not JSON', committed: false })); return; }
  const d = deliveries.get(`${f.msg}|${user}|${device}`);
  const answer = o => { if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(o)); };
  if (f.type === 'ack') {
    if (!d) return answer({ type: 'error', op: 'ack', msg: f.msg, id: f.id, error: 'unknown message', committed: false });
    if (d.state !== 'pending') return answer({ type: 'acked', msg: f.msg, id: f.id });
    write({ t: 'ack', msg: f.msg, u: user, d: device }, () => {
      if (d.state === 'pending') d.state = 'delivered';
      answer({ type: 'acked', msg: f.msg, id: f.id });
    });
  } else if (f.type === 'read') {
    if (!d || d.state === 'pending') return answer({ type: 'error', op: 'read', msg: f.msg, id: f.id, error: 'not delivered', committed: false });
    write({ t: 'read', msg: f.msg, u: user, d: device }, () => { d.state = 'read'; answer({ type: 'read-ok', msg: f.msg, id: f.id }); });
  } else {
    answer({ type: 'error', op: String(f.type), error: 'unknown frame type', committed: false });
  }
}

// ---- HTTP ----
function authorized(req, url) {
  if (!token) return true;
  return req.headers.authorization === `Bearer ${token}` || url.searchParams.get('token') === token;
}
function reply(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (!authorized(req, url)) return reply(res, 401, { error: 'token' });
  const parts = url.pathname.split('/').filter(Boolean);
  if (req.method === 'GET' && url.pathname === '/health') return reply(res, 200, { id: args.id, view: [args.id], db: 'up' });
  if (req.method === 'GET' && url.pathname === '/metrics') {
    let backlog = 0;
    for (const d of deliveries.values()) if (d.state === 'pending') backlog++;
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    return res.end(`# TYPE deliverycheck_backlog gauge\ndeliverycheck_backlog ${backlog}\n`);
  }
  if (req.method === 'PUT' && parts.length === 4 && parts[0] === 'users' && parts[2] === 'devices') {
    const [u, d] = [parts[1], parts[3]];
    return write({ t: 'dev', u, d }, () => { applyRecord({ t: 'dev', u, d }); reply(res, 200, { user: u, device: d, registered: true }); });
  }
  if (req.method === 'POST' && url.pathname === '/messages') {
    let body = '';
    req.on('data', c => { body += c; if (body.length > 65536) req.destroy(); });
    req.on('end', () => {
      let m;
      try { m = JSON.parse(body); } catch (e) { return reply(res, 400, { error: 'body is not JSON' }); }
      if (!m || typeof m.id !== 'string' || !m.id || typeof m.from !== 'string' || !m.from
          || !Array.isArray(m.to) || m.to.length === 0 || !m.to.every(x => typeof x === 'string')) {
        return reply(res, 400, { error: 'need id, from and a non-empty to' });
      }
      // at-least-once: keys are ignored, every send is a new message
      const msg = `${args.id}-${process.pid}-${++seq}`;
      const owed = [];
      for (const r of m.to) for (const d of devices.get(r) || []) owed.push({ recipient: r, device: d });
      const record = { t: 'msg', msg, id: m.id, from: m.from, owed, seq };
      const accepted = () => reply(res, 200, { msg, id: m.id, state: 'accepted', owed });
      const commit = () => {
        applyRecord(record);
        for (const o of owed) push(deliveries.get(`${msg}|${o.recipient}|${o.device}`));
      };
      if (mode === 'buggy') {
        // the planted bug: answered before it is on disk; it is written (and pushed) at the next
        // timer flush, so a crash in between loses a message the sender was told was accepted
        accepted();
        return write(record, commit, true);
      }
      write(record, () => {
        accepted();
        commit();
      });
    });
    return;
  }
  reply(res, 404, { error: 'no such endpoint' });
});

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, sock, head) => {
  if (String(req.headers.upgrade).toLowerCase() !== 'websocket') {
    // e.g. an HTTP/2 client's h2c upgrade: this server speaks HTTP/1.1 only
    sock.write('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    return sock.destroy();
  }
  const url = new URL(req.url, 'http://x');
  const parts = url.pathname.split('/').filter(Boolean);
  if (!authorized(req, url)) { sock.write('HTTP/1.1 401 Unauthorized\r\n\r\n'); return sock.destroy(); }
  if (parts.length === 3 && parts[0] === 'devices') {
    const [user, device] = [parts[1], parts[2]];
    wss.handleUpgrade(req, sock, head, ws => {
      const key = `${user}/${device}`;
      const old = sockets.get(key);
      if (old) old.close(4000, 'replaced');
      sockets.set(key, ws);
      ws.on('message', data => onDeviceFrame(user, device, ws, data.toString()));
      ws.on('close', () => { if (sockets.get(key) === ws) sockets.delete(key); });
      for (const d of deliveries.values()) {
        if (d.recipient === user && d.device === device && d.state === 'pending') push(d);
      }
    });
  } else if (parts.length === 2 && parts[0] === 'receipts') {
    // no receipts are claimed: the socket stays open and silent
    wss.handleUpgrade(req, sock, head, ws => ws.on('message', () => {}));
  } else {
    sock.write('HTTP/1.1 404 Not Found\r\n\r\n');
    sock.destroy();
  }
});

server.listen(Number(args.port), args.host, () => console.log(`READY ${args.id} http://${args.host}:${args.port} mode ${mode}`));
function stop() {
  flushLazy();
  flush();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
