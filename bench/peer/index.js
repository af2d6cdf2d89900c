// The bot itself. Bottender loads it as the entry action (./index.js).
// "k<N>" gets "r<N>", any other text gets "?". Echoes, deliveries, reads and
// anything else get nothing.
module.exports = async function App(context) {
  const { event } = context;
  if (!event.isText || event.isEcho) return;
  const m = /^k(-?\d+)$/.exec(event.text);
  await context.sendText(m ? `r${m[1]}` : '?');
};
