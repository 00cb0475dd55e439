// Atomic file writes: write to a temporary file in the same directory, fsync it, rename it over
// the target, then fsync the directory. A run killed at any point leaves either the old file or
// the new one, never a half-written file (at worst a stray `.<name>.<pid>.<rand>.tmp`).
//
// Why not the npm package `write-file-atomic` (npm's own, well kept, 3 dependencies): it does the
// same temp+fsync+rename (and, like ours, follows a symlinked target and keeps an existing file's
// mode), plus chown, a per-path write queue and temp cleanup on signals that we do not need; but it
// takes only one whole buffer or string and does not fsync the directory. Ours also takes chunks
// (an iterable or async iterable), so a writer streams a header and a large Float32Array without
// concatenating them, in ~140 lines with no dependency.
import { open, rename, unlink, mkdir, realpath, stat, chmod, type FileHandle } from 'node:fs/promises';
import { openSync, writeSync, fsyncSync, closeSync, renameSync, unlinkSync, mkdirSync, realpathSync, statSync, chmodSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** One piece of file content: text (written as UTF-8) or raw bytes of any typed array. */
export type Chunk = string | ArrayBufferView;
/** What `writeFileAtomic` accepts: one chunk, or chunks in order (sync or async iterable). */
export type AtomicData = Chunk | Iterable<Chunk> | AsyncIterable<Chunk>;

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

function toBytes(chunk: Chunk): Uint8Array {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function isChunk(data: unknown): data is Chunk {
  return typeof data === 'string' || ArrayBuffer.isView(data);
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.byteLength - done);
    done += bytesWritten;
  }
}

/** fsync a directory so the rename itself is durable; not possible on every platform (Windows). */
async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch {
    // Directories cannot be opened or synced on some platforms: the rename is still atomic.
  } finally {
    await fh?.close().catch(() => {});
  }
}

/**
 * Writes `data` to `path` atomically (temp file in the same directory + fsync + rename).
 * Creates missing parent directories. If writing throws midway (a chunk iterator throws, the disk
 * fills), the temp file is removed, any existing file at `path` is left intact, and the error is
 * rethrown.
 */
export async function writeFileAtomic(target: string, data: AtomicData): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  // A symlinked target is replaced where it points, keeping the link.
  const path = await realpath(target).catch(() => target);
  const mode = await stat(path).then((s) => s.mode & 0o7777, () => undefined);
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'wx');
  let closed = false;
  try {
    if (mode !== undefined) await chmod(tmp, mode);
    if (isChunk(data)) {
      await writeAll(fh, toBytes(data));
    } else {
      for await (const chunk of data as AsyncIterable<Chunk>) await writeAll(fh, toBytes(chunk));
    }
    await fh.sync();
    await fh.close();
    closed = true;
    await rename(tmp, path);
  } catch (err) {
    if (!closed) await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await fsyncDir(dirname(path));
}

/** The synchronous twin of `writeFileAtomic` (sync iterables only). */
export function writeFileAtomicSync(target: string, data: Chunk | Iterable<Chunk>): void {
  mkdirSync(dirname(target), { recursive: true });
  let path = target;
  let mode: number | undefined;
  try {
    path = realpathSync(target);
    mode = statSync(path).mode & 0o7777;
  } catch {
    // a new file
  }
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'wx');
  let closed = false;
  try {
    if (mode !== undefined) chmodSync(tmp, mode);
    for (const chunk of isChunk(data) ? [data] : data) {
      const bytes = toBytes(chunk);
      let done = 0;
      while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done);
    }
    fsyncSync(fd);
    closeSync(fd);
    closed = true;
    renameSync(tmp, path);
  } catch (err) {
    if (!closed) {
      try {
        closeSync(fd);
      } catch {
        // already failing: keep the first error
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file may not exist any more
    }
    throw err;
  }
  try {
    const dfd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // see fsyncDir
  }
}
