// Per test file: the device is drained and destroyed at the end so the worker exits cleanly.
import { afterAll } from 'vitest';
import { destroyDevice } from '@gausslens/kernels';

afterAll(async () => {
  await destroyDevice();
});
