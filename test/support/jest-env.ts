// Runs before every test file. The Azure Monitor exporter reports its own health ("statsbeat") to
// Microsoft's endpoints on long timers: in tests that would reach past loopback and fire after the
// test file has finished, so it is switched off here for every worker.
process.env.APPLICATION_INSIGHTS_NO_STATSBEAT = 'true';
process.env.APPLICATIONINSIGHTS_STATSBEAT_DISABLED = 'true';
process.env.APPLICATIONINSIGHTS_SDKSTATS_DISABLED = 'true';
