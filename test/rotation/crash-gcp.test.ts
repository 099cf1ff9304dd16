import { crashMatrix } from './crash-matrix.js';

await crashMatrix('gcp');
