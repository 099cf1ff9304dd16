import { promises as fs } from 'node:fs';
import openFile from '../../src/providers/file.js';
import { tempHome } from '../helpers/cli.js';
import { testStore } from './contract.js';

const home = tempHome('vh-file-contract-');
afterAll(async () => {
  await fs.rm(home, { recursive: true, force: true });
});

testStore({ name: 'file', open: async () => openFile({}, { alias: 'local', home }) });
