// Ends the run with one plain line, "N passed, N failed, N skipped", that any CI can read.
// It reports in onFinished, after the default reporter's summary, so the line comes last.
import type { Reporter, RunnerTestFile } from "vitest/node";

type Task = RunnerTestFile["tasks"][number];

export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = []) {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const visit = (task: Task) => {
      if (task.type === "suite") {
        task.tasks.forEach(visit);
        return;
      }
      const state = task.result?.state;
      if (state === "pass") counts.passed++;
      else if (state === "fail") counts.failed++;
      else counts.skipped++;
    };
    for (const file of files) file.tasks.forEach(visit);
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
