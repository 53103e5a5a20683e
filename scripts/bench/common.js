'use strict';
// The JavaScript benchmarks still to be converted (ingest, kafka-clients, simulator, processor, storage)
// load the TypeScript helpers through this one line (Node 24 requires the .ts ES module as it is), so
// nothing is written twice while they move over one by one. Remove it with the last of them.
module.exports = require('./common.ts');
