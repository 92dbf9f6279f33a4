// Mocha's spec reporter, plus the closing line CI reads: `N passed, N failed, N skipped`.
'use strict';
const fs = require('node:fs');
const Mocha = require('mocha');

const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SpecWithSummary extends Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats;
      // After the spec reporter's own epilogue, on a line of its own.
      process.nextTick(() => {
        // Under scripts/test.mjs the suite's one closing line is its own (it counts lint steps too).
        if (!process.env.CDS_TEST_SUMMARY_FILE) {
          console.log(`\n${passes} passed, ${failures} failed, ${pending} skipped`);
        } else {
          fs.writeFileSync(
            process.env.CDS_TEST_SUMMARY_FILE,
            JSON.stringify({ passes, failures, pending }),
          );
        }
      });
    });
  }
}

module.exports = SpecWithSummary;
