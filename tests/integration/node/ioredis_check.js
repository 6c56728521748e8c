// Drives a server with ioredis over TLS (mutual) or plain TCP and prints one
// JSON line with what it saw. Usage: node ioredis_check.js PORT TLS(0|1) CA CERT KEY
'use strict';
const fs = require('fs');
const Redis = require('ioredis');

async function main() {
  const [port, tls, ca, cert, key] = process.argv.slice(2);
  const opts = { host: '127.0.0.1', port: Number(port), lazyConnect: true,
                 maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5000 };
  if (tls === '1') {
    opts.tls = { ca: fs.readFileSync(ca), cert: fs.readFileSync(cert), key: fs.readFileSync(key),
                 servername: 'localhost' };
  }
  const r = new Redis(opts);
  const sub = new Redis(opts);
  const out = {};
  try {
    await r.connect();
    await sub.connect();
    out.ping = await r.ping();
    out.set = await r.set('ioredis:k', 'v1', 'EX', 100);
    out.get = await r.get('ioredis:k');
    out.incr = await r.incrby('ioredis:n', 5);
    out.pipeline = (await r.pipeline().set('ioredis:a', '1').incr('ioredis:a').get('ioredis:a')
      .exec()).map(([err, v]) => (err ? 'ERR' : v));
    out.multi = await r.multi().set('ioredis:m', 'x').get('ioredis:m').exec();
    out.mget = await r.mget('ioredis:k', 'ioredis:missing');
    try { await r.incr('ioredis:k'); } catch (e) { out.error = e.message; }
    const big = 'x'.repeat(100000);
    await r.set('ioredis:big', big);
    out.big_ok = (await r.get('ioredis:big')) === big;
    await sub.subscribe('ioredis:ch');
    const got = new Promise((resolve) => sub.on('message', (ch, msg) => resolve([ch, msg])));
    out.receivers = await r.publish('ioredis:ch', 'hello');
    out.message = await Promise.race([got, new Promise((res) => setTimeout(() => res(null), 3000))]);
    out.del = await r.del('ioredis:k', 'ioredis:n', 'ioredis:a', 'ioredis:m', 'ioredis:big');
  } catch (e) {
    out.fatal = String(e && e.message);
  } finally {
    r.disconnect();
    sub.disconnect();
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}
main();
