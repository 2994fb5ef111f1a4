// The Node app of tests/e2e/apps.sh: `/` answers at once, `/slow` after 1 s.
// The first SIGTERM drains: no new connections, what is in flight finishes,
// then exit 0. A second SIGTERM exits at once with 2 (what is in flight is
// lost), as many apps take a second stop to mean "now".
'use strict';
const http = require('http');

const port = Number(process.env.PORT || 8080);
let draining = false;

const server = http.createServer((req, res) => {
  const answer = () => {
    res.writeHead(200, { 'Content-Type': 'text/plain', Connection: 'close' });
    res.end('ok\n');
  };
  if (req.url === '/slow') setTimeout(answer, 1000);
  else answer();
});

process.on('SIGTERM', () => {
  if (draining) {
    console.error('server.js: a second SIGTERM: exiting at once');
    process.exit(2);
  }
  draining = true;
  console.error('server.js: SIGTERM: draining');
  server.close(() => {
    console.error('server.js: drained, exiting 0');
    process.exit(0);
  });
});

server.listen(port, '127.0.0.1', () => console.error(`server.js: listening on ${port}`));
