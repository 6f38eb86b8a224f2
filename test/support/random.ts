// Seeded random numbers for statistical tests: the same draws as the benchmarks'.
export { normal, seeded, studentT } from '../../bench/lib/random.ts';
