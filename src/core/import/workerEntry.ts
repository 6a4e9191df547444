/** Entry of the import worker thread: bundled on its own (dist/sources-worker.js), its path given as ImporterOptions.workerScript. */
import { runWorker } from './worker';

runWorker();
