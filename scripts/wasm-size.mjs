// Prints the release wasm sizes against the budgets (main under 250 KB gzipped, each screen's
// lazy chunk under 150 KB): the main module, then per screen its own chunk and what the browser
// downloads when the screen is first opened (its chunk plus the shared chunks it needs, from
// __wasm_split_manifest.json). Reports only; it does not fail the run.
import { readFileSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";

const pkg = process.argv[2] ?? "target/site/pkg";
const KB = 1000;
const gz = (file) => gzipSync(readFileSync(join(pkg, file)), { level: 9 }).length;
const raw = (file) => readFileSync(join(pkg, file)).length;
const mark = (size, budget) => (size <= budget ? "ok" : `OVER BUDGET by ${((size - budget) / KB).toFixed(1)} KB`);

const main = gz("baton.wasm");
console.log(`main baton.wasm: ${raw("baton.wasm")} bytes raw, ${main} gzipped (budget 250 KB): ${mark(main, 250 * KB)}`);
const manifestPath = join(pkg, "__wasm_split_manifest.json");
if (!existsSync(manifestPath)) {
  console.log("no lazy chunks (built without --split?)");
  process.exit(0);
}
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
for (const [split, files] of Object.entries(manifest).sort()) {
  const screen = split.replace(/^__/, "").replace(/_page_route_view_\d+$/, "");
  const own = files.filter((f) => f.startsWith("split_")).reduce((n, f) => n + gz(`${f}.wasm`), 0);
  const all = files.reduce((n, f) => n + gz(`${f}.wasm`), 0);
  console.log(
    `  ${screen.padEnd(10)} chunk ${String(own).padStart(7)} gzipped (budget 150 KB): ${mark(own, 150 * KB)}; ` +
      `first open downloads ${all} with ${files.length - 1} shared chunks`,
  );
}
