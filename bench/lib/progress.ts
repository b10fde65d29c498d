// A one-line progress bar on stderr: redrawn in place on a terminal, a line per step in logs.

export interface Progress {
  tick(label: string): void;
  done(): void;
}

export function progressBar(total: number, stream: NodeJS.WriteStream = process.stderr, width = 30): Progress {
  const started = Date.now();
  let count = 0;
  const draw = (label: string): void => {
    const filled = total > 0 ? Math.round((count / total) * width) : width;
    const elapsed = (Date.now() - started) / 1000;
    const eta = count > 0 ? (elapsed / count) * (total - count) : NaN;
    const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${count}/${total} ${elapsed.toFixed(0)}s${Number.isFinite(eta) ? ` eta ${eta.toFixed(0)}s` : ""} ${label}`;
    if (stream.isTTY) stream.write(`\r${line.slice(0, (stream.columns || 120) - 1).padEnd((stream.columns || 120) - 1)}`);
    else stream.write(`${line}\n`);
  };
  return {
    tick(label) {
      count++;
      draw(label);
    },
    done() {
      if (stream.isTTY) stream.write("\n");
    },
  };
}
