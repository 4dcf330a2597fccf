import { spawn } from 'node:child_process';
import { DEFAULT_MEMORY_MB } from './types.js';

const MAX_TOOL_OUTPUT_BYTES = 64 * 1024 * 1024;
const RENDER_DPI = 200;
/**
 * Address space a tool may take, as an extraction worker's heap may. A tool runs outside the worker's heap limit,
 * and a small file can ask for any size of bitmap: a 1 MB PNG of 30,000 x 30,000 pixels took tesseract to 3.3 GB,
 * and an empty PDF page of 200 x 200 inches took pdftoppm to 3.1 GB.
 */
const TOOL_MEMORY_KB = DEFAULT_MEMORY_MB * 1024;
/** Widest and tallest render of a PDF page for OCR: 35 inches at RENDER_DPI; a larger page is read from its top left. */
const MAX_RENDER_PIXELS = 7_000;

export class ToolError extends Error {
  override readonly name = 'ToolError';
}

const availability = new Map<string, Promise<boolean>>();

/** Whether a command-line tool runs at all; asked once per process. */
export function toolAvailable(command: 'tesseract' | 'pdftoppm'): Promise<boolean> {
  let known = availability.get(command);
  if (!known) {
    known = runTool(command, ['-v'], new Uint8Array(), 10_000).then(
      () => true,
      (error: unknown) => !(error instanceof ToolError && error.message.includes('not found')),
    );
    availability.set(command, known);
  }
  return known;
}

/** Text of one image, read by tesseract from stdin: no temporary files. */
export async function ocrImage(image: Uint8Array, timeoutMs: number): Promise<string> {
  const output = await runTool('tesseract', ['stdin', 'stdout', '-l', 'eng'], image, timeoutMs);
  return output.toString('utf8').replace(/\f/g, '').trim();
}

/** One PDF page as a greyscale PNG, rendered by poppler's pdftoppm from stdin. */
export function renderPdfPage(pdf: Uint8Array, pageNumber: number, timeoutMs: number): Promise<Buffer> {
  const page = String(pageNumber);
  const crop = ['-x', '0', '-y', '0', '-W', String(MAX_RENDER_PIXELS), '-H', String(MAX_RENDER_PIXELS)];
  return runTool('pdftoppm', ['-r', String(RENDER_DPI), ...crop, '-gray', '-png', '-f', page, '-l', page, '-singlefile', '-'], pdf, timeoutMs);
}

function runTool(command: string, args: string[], input: Uint8Array, timeoutMs: number): Promise<Buffer> {
  if (timeoutMs <= 0) return Promise.reject(new ToolError(`no time left to run ${command}`));
  return new Promise((resolve, reject) => {
    // Node cannot set a child's resource limits; the shell sets them and then becomes the tool.
    const limited = [`ulimit -v ${TOOL_MEMORY_KB} 2>/dev/null; exec "$0" "$@"`, command, ...args];
    const child = spawn('sh', ['-c', ...limited], { stdio: ['pipe', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new ToolError(`${command} took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_TOOL_OUTPUT_BYTES) {
        child.kill('SIGKILL');
        reject(new ToolError(`${command} wrote more than ${MAX_TOOL_OUTPUT_BYTES} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 2000) stderr += chunk.toString('utf8');
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new ToolError(error.code === 'ENOENT' ? `${command} not found on PATH` : `${command} failed: ${error.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(chunks));
      // The shell's answer when it cannot find the tool to become.
      else if (code === 127) reject(new ToolError(`${command} not found on PATH`));
      else reject(new ToolError(`${command} exited with ${code}: ${stderr.trim().split('\n').pop() ?? ''}`));
    });
    // The tool may exit before reading all input (e.g. on a bad image): that is reported by the exit code.
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}
