// Example Node.js dialer client of the dialgate sidecar.
//
// CONTRACT: dial only when Check answers OK with decision.allowed === true,
// and only before decision.valid_until (after it — a queue that held the
// decision, a retry — Check again). ANY error — the sidecar down, a deadline,
// bad input (INVALID_ARGUMENT), a missing token — means: DO NOT DIAL. So does
// an allow without valid_until (a sidecar older than the field): nothing says
// how long it holds.
//
//   node client.js --addr 127.0.0.1:7443 --to +8613900139000 --from +861058001234 --purpose service --lead crm-42
//
// --purpose is marketing, service (the default), callback, collections or
// survey, as the Go client and the dialgate CLI spell them, or the enum
// name (PURPOSE_SERVICE); any other value is refused.
//
// A sidecar with TLS and a tokens file (docs/deploy.md), over TCP or its Unix
// socket; the token is read from a file (or $DIALGATE_TOKEN), never given on
// the command line, where it would show in ps and shell history:
//
//   node client.js --addr 127.0.0.1:7443 --tls-ca ca.pem --token-file gate.token --to ...
//   node client.js --unix /run/dialgate/dg.sock --tls-ca ca.pem --token-file gate.token --to ...
//
// A sidecar that requires client certificates (mTLS, tls.client_ca_file)
// also takes --tls-cert and --tls-key, the client's certificate chain and
// key (PEM), as the Go client's -tls-cert and -tls-key; one without the
// other, or either without --tls-ca, is refused:
//
//   node client.js --addr 127.0.0.1:7443 --tls-ca ca.pem --tls-cert client.pem --tls-key client.key --token-file gate.token --to ...
//
// Flags are given as --name VALUE; any other argument (--tls-ca=ca.pem, a
// misspelt flag) is refused, as is a connection flag without its value.
// --unix and --addr are refused together, and either without its value
// (--addr defaults to 127.0.0.1:7443 only when it is not given). A token goes in plaintext only to
// a loopback --addr or the Unix socket — a name (localhost) only when every address it resolves
// to is loopback, and the call goes to one of those addresses (its IPv4 ones first, then its
// IPv6 ones: a sidecar on 127.0.0.1 or on ::1); to any other address give --tls-ca. A
// loopback --addr and the Unix socket are dialled directly, never through the proxy of
// $grpc_proxy, $https_proxy or $http_proxy.
//
// Prints "DIAL <decision id>" and exits 0, or "DO NOT DIAL: <why>" and exits 1.
'use strict';

const crypto = require('crypto');
const dns = require('dns');
const fs = require('fs');
const net = require('net');
const path = require('path');
const tls = require('tls');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_ROOT = path.join(__dirname, '..', '..', 'proto');

// loadGate loads the gate proto from PROTO_ROOT. It throws — and main
// prints DO NOT DIAL — when the proto is missing, unreadable or not a
// proto: without it no answer can be read.
function loadGate() {
  const file = path.join(PROTO_ROOT, 'dialgate', 'v1', 'gate.proto');
  try {
    // Checked first: proto-loader only warns of a file in none of the
    // include paths, then fails with the bare relative name.
    fs.accessSync(file, fs.constants.R_OK);
    const def = protoLoader.loadSync('dialgate/v1/gate.proto', {
      includeDirs: [PROTO_ROOT],
      keepCase: true,
      enums: String,
      longs: String,
      defaults: false,
      oneofs: true,
    });
    return grpc.loadPackageDefinition(def).dialgate.v1;
  } catch (e) {
    throw new Error(`cannot load the gate proto ${file}: ${e.message}`);
  }
}

// FLAGS are the flags the client knows, each given as --name VALUE. Any
// other argument is refused: ignored, --tls-ca=ca.pem (a spelling not
// parsed) or a misspelt --tlsca would connect in plaintext without
// checking the sidecar's certificate, a misspelt --adr dial the default
// address.
const FLAGS = new Set(['addr', 'unix', 'tls-ca', 'tls-cert', 'tls-key', 'server-name', 'token-file', 'token',
  'to', 'from', 'purpose', 'lead', 'tenant']);

function parseArgs(argv) {
  const a = { purpose: 'PURPOSE_SERVICE' };
  for (let i = 0; i < argv.length; i += 2) {
    const m = /^--(.*)$/.exec(argv[i]);
    if (!m || !FLAGS.has(m[1])) {
      // Named without a value it may carry (--token=…, a stray token).
      const what = m ? argv[i].replace(/=.*$/s, '=…') : `argument ${i + 1}`;
      throw new Error(`${what}: not a flag of this client (give --name VALUE, one of --${[...FLAGS].join(', --')})`);
    }
    a[m[1]] = argv[i + 1];
  }
  // One sidecar: with both, one of them would be ignored without a word;
  // an --addr without its value is not the default address.
  if ('addr' in a && !a.addr) {
    throw new Error('--addr: missing the sidecar\'s host:port');
  }
  // Given empty (an empty shell variable in quotes, --tls-ca "$CA") or
  // last without a value is not left out: --tls-ca would connect in
  // plaintext without checking the sidecar's certificate, --tls-cert
  // connect without a client certificate, --token-file send $DIALGATE_TOKEN.
  for (const k of ['tls-ca', 'tls-cert', 'tls-key', 'server-name', 'token-file']) {
    if (k in a && !a[k]) {
      throw new Error(`--${k}: given without a value (an empty variable?): give its value or leave the flag out`);
    }
  }
  if ('unix' in a) {
    if (!a.unix) {
      throw new Error('--unix: missing the path of the sidecar\'s socket');
    }
    if ('addr' in a) {
      throw new Error('--unix: give --unix or --addr, not both');
    }
  } else if (a.addr === undefined) {
    a.addr = '127.0.0.1:7443';
  }
  if (a.token !== undefined) {
    throw new Error('--token: never give a token on the command line (ps, shell history): use --token-file or DIALGATE_TOKEN');
  }
  a.purpose = purposeOf(a.purpose);
  a.token = process.env.DIALGATE_TOKEN || '';
  if (a['token-file']) {
    try {
      a.token = fs.readFileSync(a['token-file'], 'utf8').trim();
    } catch (e) {
      throw new Error(`--token-file: ${e.message}`);
    }
  }
  return a;
}

// PURPOSES are the purposes of gate.proto, by the names the Go client and
// the dialgate CLI use (service) and by their enum names (PURPOSE_SERVICE).
const PURPOSES = ['marketing', 'service', 'callback', 'collections', 'survey'];

// purposeOf returns the enum name of the purpose p, given as either name.
// Any other value is refused naming the flag: protobuf would send an
// unknown enum name as no purpose at all, which the sidecar refuses as
// "dial.purpose: missing", naming neither the flag nor the value.
// PURPOSE_UNSPECIFIED is passed on, for the sidecar to refuse.
function purposeOf(p) {
  if (PURPOSES.includes(p)) return 'PURPOSE_' + p.toUpperCase();
  if (p === 'PURPOSE_UNSPECIFIED' || PURPOSES.some((q) => p === 'PURPOSE_' + q.toUpperCase())) return p;
  throw new Error(`--purpose: unknown ${JSON.stringify(p === undefined ? '' : p)} (want one of ${PURPOSES.join(', ')}, or PURPOSE_SERVICE…)`);
}

// hostPort splits addr (host:port, [v6]:port) into its host and port; both
// are '' when addr is not of that form.
function hostPort(addr) {
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d+)$/.exec(addr || '');
  return m ? { host: m[1] !== undefined ? m[1] : m[2], port: m[3] } : { host: '', port: '' };
}

// isLoopbackIP tells whether ip (a literal address) is a loopback one:
// 127.0.0.0/8 (also IPv4-mapped) or ::1.
function isLoopbackIP(ip) {
  if (net.isIPv4(ip)) return ip.startsWith('127.');
  if (!net.isIPv6(ip)) return false;
  const v6 = ip.toLowerCase();
  const v4 = v6.startsWith('::ffff:') ? v6.slice(7) : '';
  return v6 === '::1' || (net.isIPv4(v4) && v4.startsWith('127.'));
}

// isLoopback tells whether addr (host:port) names this host: localhost or a
// loopback IP. A name is judged again by what it resolves to (pinLoopback).
function isLoopback(addr) {
  const { host } = hostPort(addr);
  return host === 'localhost' || isLoopbackIP(host);
}

// pinLoopback resolves the host of addr (host:port) and returns the
// targets of the addresses it resolves to, one each, refusing (an Error) a
// name that resolves to any address that is not loopback: the token goes
// in plaintext only to this host, whatever "localhost" resolves to (a hosts
// file, a resolver that maps it elsewhere). The call goes to one of the
// addresses judged, not to the name resolved again: its IPv4 ones first
// (the sidecar listens on 127.0.0.1 by default), then its IPv6 ones (a
// sidecar on ::1), tried in turn (firstReady). grpc-js takes a target of
// one family only (ipv4: or ipv6:), so each address is a target.
async function pinLoopback(addr) {
  const { host, port } = hostPort(addr);
  let found;
  try {
    found = await dns.promises.lookup(host, { all: true, verbatim: true });
  } catch (e) {
    throw new Error(`--addr: ${addr}: ${e.message}`);
  }
  if (!found.length) {
    throw new Error(`--addr: ${addr} resolves to no address`);
  }
  for (const f of found) {
    if (!isLoopbackIP(f.address)) {
      throw new Error(`--addr: ${addr} resolves to ${f.address}, not a loopback address: refusing to send the token in plaintext; use --tls-ca`);
    }
  }
  const v4 = found.filter((f) => net.isIPv4(f.address)).map((f) => `ipv4:${f.address}:${port}`);
  const v6 = found.filter((f) => !net.isIPv4(f.address)).map((f) => `ipv6:[${f.address}]:${port}`);
  return [...new Set([...v4, ...v6])];
}

// targets and credentials of the sidecar: --unix PATH or --addr HOST:PORT,
// with TLS when --tls-ca names the CA of the sidecar's certificate, and a
// client certificate when --tls-cert and --tls-key name one. targets holds
// more than one target only for a name pinned to its loopback addresses
// (pinLoopback): the call goes to the first that connects.
async function connection(a) {
  let target = a.addr;
  const options = {};
  if (a.unix) {
    target = 'unix:' + a.unix;
    options['grpc.default_authority'] = 'localhost';
  }
  if (a.unix || isLoopback(a.addr)) {
    // grpc-js sends a call through the proxy of $grpc_proxy, $https_proxy
    // or $http_proxy whatever its target, loopback included: it would reach
    // the proxy's host (its sidecar, or none), the token crossing the
    // network to it. This host's sidecar is dialled directly, as Go's gRPC
    // does.
    options['grpc.enable_http_proxy'] = 0;
  }
  // Either alone is a mistake: the sidecar would refuse the handshake
  // (mTLS), or the certificate meant to be sent would not be.
  if (('tls-cert' in a) !== ('tls-key' in a)) {
    throw new Error('--tls-cert: give --tls-cert and --tls-key together');
  }
  if (!a['tls-ca']) {
    if (a['tls-cert']) {
      throw new Error('--tls-cert: only with --tls-ca (a client certificate is sent over TLS)');
    }
    if (a['server-name']) {
      throw new Error('--server-name: only with --tls-ca (it names the certificate TLS checks)');
    }
    // In plaintext anyone on the path could read the token and use it.
    if (a.token && !a.unix) {
      if (!isLoopback(a.addr)) {
        throw new Error(`--addr: ${a.addr} is not a loopback address: refusing to send the token in plaintext; use --tls-ca`);
      }
      return { targets: await pinLoopback(a.addr), creds: grpc.credentials.createInsecure(), options };
    }
    return { targets: [target], creds: grpc.credentials.createInsecure(), options };
  }
  let ca;
  try {
    ca = fs.readFileSync(a['tls-ca']);
  } catch (e) {
    throw new Error(`--tls-ca: ${e.message}`);
  }
  checkCA(a['tls-ca'], ca);
  const pair = clientCertificate(a);
  const name = a['server-name'] || (a.unix ? 'localhost' : '');
  if (name) options['grpc.ssl_target_name_override'] = name;
  return { targets: [target], creds: grpc.credentials.createSsl(ca, pair.key, pair.cert), options };
}

// checkCA refuses (an Error naming --tls-ca and file) a CA bundle that
// holds no PEM certificate — empty, a key, a certificate cut before its END
// line — or one that does not parse: grpc-js takes it, connects, and every
// handshake fails as if the sidecar were down ("unable to verify the first
// certificate"), sending the operator after a network problem. Nothing is
// dialled.
function checkCA(file, ca) {
  const blocks = ca.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) || [];
  if (!blocks.length) {
    throw new Error(`--tls-ca: ${file}: holds no certificate (want the PEM certificate of the CA that signed the sidecar's, serve's tls.cert_file)`);
  }
  blocks.forEach((b, i) => {
    try {
      new crypto.X509Certificate(b);
    } catch (e) {
      throw new Error(`--tls-ca: ${file}: certificate ${i + 1}: ${e.message}`);
    }
  });
}

// clientCertificate reads the client certificate chain and key of
// --tls-cert and --tls-key (PEM), null both when not given. A file that
// cannot be read, that is not PEM, or a key that is not the certificate's
// is refused naming its flag, before connecting: the handshake would fail
// (or grpc-js refuse it, naming neither).
function clientCertificate(a) {
  if (!a['tls-cert']) return { cert: null, key: null };
  const read = (k) => {
    try {
      return fs.readFileSync(a[k]);
    } catch (e) {
      throw new Error(`--${k}: ${e.message}`);
    }
  };
  const cert = read('tls-cert');
  const key = read('tls-key');
  try {
    tls.createSecureContext({ cert });
  } catch (e) {
    throw new Error(`--tls-cert: ${a['tls-cert']}: ${e.message}`);
  }
  try {
    tls.createSecureContext({ key });
  } catch (e) {
    throw new Error(`--tls-key: ${a['tls-key']}: ${e.message}`);
  }
  try {
    tls.createSecureContext({ cert, key });
  } catch (e) {
    throw new Error(`--tls-key: ${a['tls-key']}: not the key of --tls-cert (${e.message})`);
  }
  return { cert, key };
}

// ATTEMPT_MS bounds each attempt to connect to one of the targets, and the
// call on the one that connected: each has its own deadline, so a first
// address that never answers (a host that drops the packets, a peer that
// accepts and says nothing) does not use up the time of the next.
const ATTEMPT_MS = 2000;

// firstReady returns a client of the first of targets it connects to, each
// tried in turn within ATTEMPT_MS of its own: a target that cannot be
// reached in that time (refused, closed, not gRPC, silent) is closed and
// the next tried. The last is returned without waiting: a call on it fails
// as any call to a sidecar that is down. Nothing is sent on a connection
// before it is ready: the token goes only with the call.
async function firstReady(Service, conn) {
  for (let i = 0; i < conn.targets.length - 1; i++) {
    const client = new Service(conn.targets[i], conn.creds, conn.options);
    if (await ready(client.getChannel(), new Date(Date.now() + ATTEMPT_MS))) return client;
    client.close();
  }
  return new Service(conn.targets[conn.targets.length - 1], conn.creds, conn.options);
}

// ready resolves to whether channel connects by the deadline (a Date):
// false as soon as its connection fails.
function ready(channel, deadline) {
  const S = grpc.connectivityState;
  return new Promise((resolve) => {
    const watch = () => {
      const s = channel.getConnectivityState(true);
      if (s === S.READY) {
        resolve(true);
      } else if (s === S.TRANSIENT_FAILURE || s === S.SHUTDOWN) {
        resolve(false);
      } else {
        channel.watchConnectivityState(s, deadline, (err) => (err ? resolve(false) : watch()));
      }
    };
    watch();
  });
}

// mayDial resolves to the decision id when the dial may be placed and rejects
// in every other case: a deny, any RPC error, a timeout (the deadline, a
// Date).
function mayDial(client, dial, token, deadline) {
  return new Promise((resolve, reject) => {
    const md = new grpc.Metadata();
    if (token) md.set('authorization', 'Bearer ' + token);
    client.Check({ dial }, md, { deadline }, (err, resp) => {
      if (err) {
        reject(new Error(`sidecar error (fail closed): ${grpc.status[err.code]}: ${err.details}`));
        return;
      }
      const dec = resp && resp.decision;
      if (!dec || dec.allowed !== true) {
        const codes = ((dec && dec.reasons) || []).map((r) => r.code).join(', ');
        reject(new Error(`denied: ${codes}`));
        return;
      }
      const why = notDialable(dec);
      if (why) {
        reject(new Error(why));
        return;
      }
      resolve(dec.id);
    });
  });
}

// notDialable returns why the allow dec may not be dialled at nowMs
// (milliseconds since the epoch; default: this host's clock now), or ''
// when it may: nowMs is before its valid_until. Call it again right before
// placing the call when the dialer holds the decision (a queue, a retry).
// A clock before 2000 (reset to 1970) is not a clock reading: it is before
// every valid_until and would keep the allow dialable for ever
// (dialgate.Decision.DialableAt refuses it too).
function notDialable(dec, nowMs = Date.now()) {
  if (!(nowMs >= Date.UTC(2000, 0, 1))) {
    const at = Number.isFinite(nowMs) ? new Date(nowMs).toISOString() : String(nowMs);
    return `this host's clock reads ${at}, before 2000: set the clock; no allow is dialable on it`;
  }
  const vu = dec.valid_until;
  if (!vu) {
    return 'allowed without valid_until (a sidecar older than this client): nothing says how long the allow holds; upgrade the sidecar';
  }
  // A google.protobuf.Timestamp: seconds (a string, longs: String) and nanos.
  const untilMs = Number(vu.seconds || 0) * 1000 + Math.floor((vu.nanos || 0) / 1e6);
  if (!Number.isFinite(untilMs)) {
    return 'allowed with an invalid valid_until';
  }
  if (nowMs >= untilMs) {
    return `the allow expired at ${new Date(untilMs).toISOString()} (valid_until): Check again`;
  }
  return '';
}

async function main() {
  let a;
  let conn;
  let v1;
  try {
    a = parseArgs(process.argv.slice(2));
    v1 = loadGate();
    conn = await connection(a);
  } catch (e) {
    console.log('DO NOT DIAL: ' + e.message);
    process.exitCode = 1;
    return;
  }
  let client;
  try {
    client = await firstReady(v1.GateService, conn);
    // The call's own deadline, from when it is sent: connecting to the
    // last target (or the one found ready) and the answer.
    const id = await mayDial(client, {
      to: a.to || '', from: a.from || '', purpose: a.purpose, lead_id: a.lead || '', tenant: a.tenant || '',
    }, a.token, new Date(Date.now() + ATTEMPT_MS));
    console.log('DIAL ' + id);
    process.exitCode = 0;
  } catch (e) {
    console.log('DO NOT DIAL: ' + e.message);
    process.exitCode = 1;
  } finally {
    if (client) client.close();
  }
}

main();
