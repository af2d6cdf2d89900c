// Bottender reads this file from the current directory (server.js moves there).
// Everything comes from env vars; server.js has already checked they are set.
const { MessengerClient } = require('bottender');

// GRAPH_API_URL looks like http://127.0.0.1:4000/v21.0. Bottender's client
// wants the origin and the Graph version apart, and builds <origin>/v<version>/.
const match = /^(.*?)\/v(\d+(?:\.\d+)?)\/?$/.exec(process.env.GRAPH_API_URL || '');
if (!match) {
  throw new Error('GRAPH_API_URL must end with a version, e.g. http://127.0.0.1:4000/v21.0');
}
const [, origin, version] = match;

module.exports = {
  // The default session store is already in-memory; say so anyway.
  session: { driver: 'memory' },
  channels: {
    messenger: {
      enabled: true,
      path: '/webhook',
      pageId: process.env.PAGE_ID, // bottender keeps it for its CLI only
      accessToken: process.env.PAGE_ACCESS_TOKEN,
      appSecret: process.env.APP_SECRET, // used to check X-Hub-Signature
      verifyToken: process.env.VERIFY_TOKEN,
      // Our own client, because the channel config can set the origin but not
      // the Graph version (bottender would use v6.0). With `client` given,
      // bottender uses it for every Send API call.
      client: new MessengerClient({
        accessToken: process.env.PAGE_ACCESS_TOKEN,
        appSecret: process.env.APP_SECRET, // adds appsecret_proof like a real bot
        origin,
        version,
      }),
      // skipLegacyProfile defaults to true: no profile lookup per new user.
    },
  },
};
