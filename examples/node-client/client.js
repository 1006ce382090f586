// Example Node.js dialer client of the dialgate sidecar.
//
// CONTRACT: dial only when Check answers OK with decision.allowed === true.
// ANY error — the sidecar down, a deadline, bad input (INVALID_ARGUMENT), a
// missing token — means: DO NOT DIAL.
//
//   node client.js --addr 127.0.0.1:7443 --to +8613900139000 --from +861058001234 --purpose PURPOSE_SERVICE --lead crm-42
//
// Prints "DIAL <decision id>" and exits 0, or "DO NOT DIAL: <why>" and exits 1.
'use strict';

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_ROOT = path.join(__dirname, '..', '..', 'proto');

function loadGate() {
  const def = protoLoader.loadSync('dialgate/v1/gate.proto', {
    includeDirs: [PROTO_ROOT],
    keepCase: true,
    enums: String,
    longs: String,
    defaults: false,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(def).dialgate.v1;
}

function parseArgs(argv) {
  const a = { addr: '127.0.0.1:7443', purpose: 'PURPOSE_SERVICE', token: process.env.DIALGATE_TOKEN || '' };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    a[k] = argv[i + 1];
  }
  return a;
}

// mayDial resolves to the decision id when the dial may be placed and rejects
// in every other case: a deny, any RPC error, a timeout.
function mayDial(client, dial, token) {
  return new Promise((resolve, reject) => {
    const md = new grpc.Metadata();
    if (token) md.set('authorization', 'Bearer ' + token);
    const deadline = new Date(Date.now() + 2000);
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
      resolve(dec.id);
    });
  });
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  const v1 = loadGate();
  const client = new v1.GateService(a.addr, grpc.credentials.createInsecure());
  try {
    const id = await mayDial(client, {
      to: a.to || '', from: a.from || '', purpose: a.purpose, lead_id: a.lead || '', tenant: a.tenant || '',
    }, a.token);
    console.log('DIAL ' + id);
    process.exitCode = 0;
  } catch (e) {
    console.log('DO NOT DIAL: ' + e.message);
    process.exitCode = 1;
  } finally {
    client.close();
  }
}

main();
