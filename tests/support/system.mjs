// Starts both built workers in one Miniflare (workerd) instance, configured
// from wrangler.toml, routed on aurorahours.com paths, with fresh in-memory
// D1 databases migrated from migrations/ and a fresh R2 bucket.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import {
  unstable_getMiniflareWorkerOptions as workerOptionsFromConfig,
  unstable_readConfig as readConfig,
  unstable_splitSqlQuery as splitSql,
} from "wrangler";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const ORIGIN = "https://aurorahours.com";
const configPath = path.join(root, "wrangler.toml");
// A path that never exists, so that a developer's .dev.vars never reaches a test.
const noEnvFiles = [path.join(root, "tests", ".no-such-env-file")];

function workerFromConfig(env, bindings, script) {
  const config = readConfig({ config: configPath, env }, { hideWarnings: true });
  const { workerOptions } = workerOptionsFromConfig(config, env, { envFiles: noEnvFiles });
  const main = path.resolve(root, script ?? config.main);
  return {
    ...workerOptions,
    name: config.name,
    compatibilityDate: config.compatibility_date,
    compatibilityFlags: config.compatibility_flags,
    modules: true,
    scriptPath: main,
    modulesRoot: path.dirname(main),
    modulesRules: [
      { type: "CompiledWasm", include: ["**/*.wasm"] },
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
    ],
    routes: config.routes.map((r) => (typeof r === "string" ? r : r.pattern)),
    bindings: { ...workerOptions.bindings, ...bindings },
    migrationsDir: path.resolve(root, config.d1_databases[0].migrations_dir),
  };
}

async function migrate(db, dir) {
  const files = readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
  for (const file of files) {
    const statements = splitSql(readFileSync(path.join(dir, file), "utf8"));
    if (statements.length > 0) await db.batch(statements.map((s) => db.prepare(s)));
  }
}

/**
 * Starts the system. `identity` and `logging` hold extra bindings (vars and
 * secrets) for each worker; `scripts` may point a worker at another build
 * (the benchmarks use this). Returns helpers; call `stop()` when done.
 */
export async function startSystem({ identity = {}, logging = {}, scripts = {} } = {}) {
  const workers = [
    workerFromConfig("identity", identity, scripts.identity),
    workerFromConfig("logging", logging, scripts.logging),
  ];
  const dirs = workers.map(({ migrationsDir }) => migrationsDir);
  for (const w of workers) delete w.migrationsDir;

  const mf = new Miniflare({ workers, d1Persist: false, r2Persist: false });
  await mf.ready;

  const identityDb = await mf.getD1Database("DB", workers[0].name);
  const loggingDb = await mf.getD1Database("DB", workers[1].name);
  await migrate(identityDb, dirs[0]);
  await migrate(loggingDb, dirs[1]);

  return {
    mf,
    identityDb,
    loggingDb,
    archive: () => mf.getR2Bucket("ARCHIVE", workers[1].name),
    /** A request to the public origin, as the edge would route it. */
    fetch: (pathOrUrl, init = {}) =>
      mf.dispatchFetch(new URL(pathOrUrl, ORIGIN), { redirect: "manual", ...init }),
    stop: () => mf.dispose(),
  };
}
