// Every workflow the worker runs.
export { networkLab } from './lab.js';
export { sweeper } from './sweeper.js';
