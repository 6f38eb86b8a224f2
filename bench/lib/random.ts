// Seeded random numbers for statistical benchmarks and tests: the same draws on every run. (Park-Miller seeded with
// a small number starts with an extreme draw: multiply small seeds by a large prime.)

/** Park-Miller generator in (0, 1). */
export function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647;
  };
}

/** A standard normal draw (Box-Muller). */
export function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
}

/** A draw of Student's t with `nu` degrees of freedom, scaled to unit variance (heavy-tailed noise). */
export function studentT(rand: () => number, nu: number): number {
  let chi = 0;
  for (let i = 0; i < nu; i++) chi += normal(rand) ** 2;
  return normal(rand) / Math.sqrt(chi / nu) / Math.sqrt(nu / (nu - 2));
}
