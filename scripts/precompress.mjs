// Writes precompressed copies next to the built site's text and wasm files (issue 14):
// FILE.br (brotli, quality 11) and FILE.gz (gzip -9), which scripts/serve.mjs sends to a
// browser that accepts them, as a static host configured for precompressed files would.
// Small files gain nothing and get none.
//
//   node scripts/precompress.mjs [dist]
import { readdir, readFile, writeFile, stat } from 'node:fs/promises';
import { join, extname } from 'node:path';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const COMPRESSED = new Set(['.html', '.js', '.css', '.wasm', '.json', '.svg', '.toml', '.txt']);
const MIN_BYTES = 1024;

async function* files(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else yield path;
  }
}

const root = process.argv[2] ?? 'dist';
let count = 0;
let raw = 0;
let brotli = 0;
for await (const file of files(root)) {
  if (!COMPRESSED.has(extname(file)) || (await stat(file)).size < MIN_BYTES) continue;
  const body = await readFile(file);
  const br = brotliCompressSync(body, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
  await writeFile(`${file}.br`, br);
  await writeFile(`${file}.gz`, gzipSync(body, { level: 9 }));
  count += 1;
  raw += body.length;
  brotli += br.length;
}
console.log(`[precompress] ${count} files: ${(raw / 1024).toFixed(1)} KB → ${(brotli / 1024).toFixed(1)} KB brotli (.br), .gz beside each`);
