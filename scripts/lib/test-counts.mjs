#!/usr/bin/env node
// The tests a jest or Playwright JSON report counts, as "PASSED FAILED" (a
// flaky Playwright test counts as failed); "0 1" for a report that cannot be
// read, so a step that wrote none still shows a failure.
//
// usage: node test-counts.mjs REPORT

import fs from 'node:fs';

let counts = [0, 1];
try {
  const report = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const passed = report.numPassedTests ?? report.stats?.expected ?? 0;
  const failed =
    (report.numFailedTests ?? 0) +
    (report.stats?.unexpected ?? 0) +
    (report.stats?.flaky ?? 0);
  counts = [passed, failed];
} catch {
  // counted as one failure
}
console.log(counts.join(' '));
