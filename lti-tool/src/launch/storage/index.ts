export { installPlatformStorage, type PlatformStorageOptions } from './middleware.js';
