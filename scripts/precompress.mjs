// Writes Brotli (.br, best quality) and gzip (.gz) copies of the built UI's scripts, wasm,
// styles and pictures next to them; the server sends them to browsers that accept them,
// so the largest file, the wasm bundle, travels about a quarter smaller than with
// on-the-fly gzip. Uses Node's own zlib: nothing is downloaded.
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const COMPRESSIBLE = /\.(wasm|js|css|svg)$/;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (COMPRESSIBLE.test(name)) yield path;
  }
}

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node scripts/precompress.mjs <dist dir>");
  process.exit(2);
}
let before = 0;
let after = 0;
for (const path of files(dir)) {
  const data = readFileSync(path);
  const br = brotliCompressSync(data, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: data.length },
  });
  writeFileSync(`${path}.br`, br);
  writeFileSync(`${path}.gz`, gzipSync(data, { level: 9 }));
  before += data.length;
  after += br.length;
}
console.log(`precompressed ${dir}: ${(before / 1024).toFixed(0)} KiB -> ${(after / 1024).toFixed(0)} KiB with Brotli`);
