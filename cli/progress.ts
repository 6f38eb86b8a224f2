// A progress bar on a terminal (stderr), silent when output is piped or captured.

export interface Progress {
  tick(n?: number): void;
  done(): void;
}

export function progress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY || total <= 0) return { tick() {}, done() {} };
  let current = 0;
  let lastDraw = 0;
  const draw = () => {
    const width = 30;
    const filled = Math.round((current / total) * width);
    stream.write(
      `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${current.toLocaleString('en-US')}/${total.toLocaleString('en-US')}`,
    );
  };
  return {
    tick(n = 1) {
      current = Math.min(total, current + n);
      const t = Date.now();
      if (t - lastDraw > 80 || current === total) {
        lastDraw = t;
        draw();
      }
    },
    done() {
      current = total;
      draw();
      stream.write('\n');
    },
  };
}
