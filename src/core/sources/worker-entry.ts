/** Entry of the import worker thread: bundle this file on its own and pass its path as ImporterOptions.workerScript. */
import { runWorker } from './worker';

runWorker();
