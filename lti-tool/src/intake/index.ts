// Canvas Live Events intake: POST /v1/intake/canvas.
export * from './router.js';
export * from './verify.js';
