// A small static file server for the built playground (dist/), used by `make play`
// and by the browser tests. Loopback only; no dependencies beyond Node itself.
//
//   node scripts/serve.mjs [--root dist] [--host 127.0.0.1] [--port 8080]
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.toml': 'text/plain; charset=utf-8',
};

/** The file under `root` that a request for `pathname` is answered with (a directory's
 *  index.html), or null for a path outside `root`. */
export async function fileFor(root, pathname) {
  const base = resolve(root);
  const file = normalize(join(base, decodeURIComponent(pathname)));
  if (file !== base && !file.startsWith(base + sep)) return null;
  return (await stat(file).catch(() => null))?.isDirectory() ? join(file, 'index.html') : file;
}

/** The precompressed sibling of `file` that `accept` (an Accept-Encoding value) allows, as
 *  { name, file }, or null. A coding listed with q=0 is refused. */
async function precompressed(file, accept) {
  const accepted = new Map(accept.split(',').map((part) => {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return [name, q ? Number(q.slice(2)) : 1];
  }));
  for (const [name, suffix] of [['br', '.br'], ['gzip', '.gz']]) {
    if (!((accepted.get(name) ?? 0) > 0)) continue;
    if ((await stat(file + suffix).catch(() => null))?.isFile()) return { name, file: file + suffix };
  }
  return null;
}

/** Serves `root` on host:port (port 0 picks a free one); resolves to { server, url }.
 *  `onRequest(pathname)`, when given, is told of every request as it arrives. */
export function serve({ root = 'dist', host = '127.0.0.1', port = 0, onRequest } = {}) {
  const server = createServer(async (req, res) => {
    try {
      const path = new URL(req.url, 'http://x').pathname;
      onRequest?.(path);
      const file = await fileFor(root, path);
      if (!file) {
        res.writeHead(403).end('forbidden');
        return;
      }
      const headers = { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' };
      // A precompressed copy (scripts/precompress.mjs) when the browser accepts it: brotli,
      // then gzip; otherwise the file itself.
      const encoding = await precompressed(file, req.headers['accept-encoding'] ?? '');
      if (encoding) {
        headers['content-encoding'] = encoding.name;
        headers.vary = 'accept-encoding';
      }
      const body = await readFile(encoding ? encoding.file : file);
      // Course pages on other origins load the custom element as a module script, which
      // browsers fetch with CORS.
      if (file.endsWith(`${sep}embed.js`)) headers['access-control-allow-origin'] = '*';
      res.writeHead(200, headers);
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      const { port: bound } = server.address();
      ok({ server, url: `http://${host}:${bound}/` });
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const { url } = await serve({ root: arg('root', 'dist'), host: arg('host', '127.0.0.1'), port: Number(arg('port', 8080)) });
  console.log(`SMTP Playground is being served at ${url}  (Ctrl-C stops it)`);
}
