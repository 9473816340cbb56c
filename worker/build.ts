// `npm run build`: bundles the workflow code once, for workers to start from (worker/bundle.ts).
import { buildWorkflowBundle } from './bundle.js';

console.log(`workflow bundle written to ${await buildWorkflowBundle()}`);
