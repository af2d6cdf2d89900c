// Prints the release wasm sizes against the budgets (main under 250 KB gzipped, each screen's
// lazy chunk under 150 KB): the main module, then per screen its own chunk, the code only it uses
// (own chunk plus shared chunks no other screen needs) and what the browser downloads when the
// screen is first opened (from __wasm_split_manifest.json). Reports only; it does not fail the run.
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
// Which splits use each shared chunk. Splits that are not routes are #[lazy] parts of a screen
// (the Messages tabs, say): code shared only between a screen and such parts is the screen's
// own in all but name, so "only this screen's" counts it, and the budget applies to that.
const isRoute = (split) => /_page_route_view_\d+$/.test(split);
const users = new Map();
for (const [split, files] of Object.entries(manifest)) {
  for (const f of files) users.set(f, [...(users.get(f) ?? []), split]);
}
for (const [split, files] of Object.entries(manifest).sort()) {
  const screen = split.replace(/^__/, "").replace(/_page_route_view_\d+$/, "").replace(/_\d+$/, "");
  const own = files.filter((f) => f.startsWith("split_")).reduce((n, f) => n + gz(`${f}.wasm`), 0);
  const all = files.reduce((n, f) => n + gz(`${f}.wasm`), 0);
  const only = isRoute(split)
    ? files
        .filter((f) => (users.get(f) ?? []).every((u) => u === split || !isRoute(u)))
        .reduce((n, f) => n + gz(`${f}.wasm`), 0)
    : own;
  console.log(
    `  ${screen.padEnd(16)} own chunk ${String(own).padStart(6)}, only this screen's ${String(only).padStart(6)} ` +
      `gzipped (budget 150 KB): ${mark(only, 150 * KB)}; first open downloads ${all} in ${files.length} files`,
  );
}
