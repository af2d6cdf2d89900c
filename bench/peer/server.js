// Benchmark peer: a bottender 1.5.5 Messenger bot on its own HTTP server.
// Run: npm ci --prefix bench/peer && node bench/peer/server.js
// Env: PORT, APP_SECRET, PAGE_ACCESS_TOKEN, PAGE_ID, VERIFY_TOKEN, GRAPH_API_URL.

const required = ['PORT', 'APP_SECRET', 'PAGE_ACCESS_TOKEN', 'PAGE_ID', 'VERIFY_TOKEN', 'GRAPH_API_URL'];
const missing = required.filter((name) => !process.env[name]);
if (missing.length) {
  console.error(`missing env: ${missing.join(', ')}`);
  process.exit(2);
}

// Bottender finds bottender.config.js and index.js in the current directory
// (and would read a .env there), so work from this folder whatever the caller's is.
process.chdir(__dirname);

const express = require('express');
const { bottender } = require('bottender');

// Load the config and the bot now so a mistake fails here, not on the first webhook.
require('./bottender.config');
require('./index');

const port = Number(process.env.PORT);
const app = bottender({ dev: false });
const handle = app.getRequestHandler();

app.prepare().then(() => {
  const server = express();
  // Bottender checks the signature against the raw body, so keep it.
  server.use(express.json({ verify: (req, _res, buf) => { req.rawBody = buf.toString(); } }));
  // GET = Facebook's verify handshake, POST = deliveries. Bottender answers both.
  server.all('/webhook', (req, res) => handle(req, res));

  const listener = server.listen(port, '127.0.0.1', () => {
    console.log(`peer ready on ${port}`);
  });
  listener.on('error', (err) => {
    console.error(err);
    process.exit(1);
  });
});
