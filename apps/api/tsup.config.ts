import { defineConfig } from "tsup";

export default defineConfig({
  // The chart worker is a script of its own, started in worker threads (src/chart-renderer.ts).
  entry: ["src/index.ts", "src/chart-worker.ts"],
  format: ["esm"],
  target: "node20",
  sourcemap: true,
  clean: true,
  banner: { js: "#!/usr/bin/env node" },
});
