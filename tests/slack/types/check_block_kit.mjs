// Type-checks every Block Kit payload slack/blocks.cpp emits against Slack's own TypeScript
// definitions (@slack/types), and checks the documented limits the types cannot express.
//
// It runs the sample printer (path in CHAL_BLOCK_KIT_SAMPLES; tests/slack/block_kit_samples.cpp),
// writes a .ts file into a temporary folder that assigns each message's `blocks` to
// KnownBlock[] and each view to HomeView / ModalView (with KnownBlock[] blocks: the views'
// own `blocks: AnyBlock[]` would accept any {type: string}), and runs `tsc --noEmit --strict`
// from tests/node_modules. Object literals get TypeScript's excess-property check, so a
// misspelt or unknown field fails as well as a wrong type. A deliberately wrong block marked
// @ts-expect-error proves the compiler really checks (an unused directive is itself an error).
//
// TypeScript 7 is the native (Go) compiler: its `tsc` command line works as before, but it has
// no stable JavaScript compiler API and no `baseUrl`, so this script uses the command line and
// maps @slack/types with `paths`.
//
// Usage (from tests/): CHAL_BLOCK_KIT_SAMPLES=<slack_block_kit_samples> node slack/types/check_block_kit.mjs
// Exit 0: all good; 1: a type error or a limit broken; 64: usage. KEEP_BLOCK_KIT_TS=1 keeps the .ts.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const testsDir = fileURLToPath(new URL('../../', import.meta.url));
const nodeModules = path.join(testsDir, 'node_modules');

const samplesBinary = process.env.CHAL_BLOCK_KIT_SAMPLES;
if (!samplesBinary) {
  console.error('CHAL_BLOCK_KIT_SAMPLES must name the slack_block_kit_samples binary');
  process.exit(64);
}

const printed = spawnSync(samplesBinary, [], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
if (printed.error) throw printed.error;
if (printed.status !== 0) {
  console.error(`${samplesBinary} exited with ${printed.status}:\n${printed.stderr}`);
  process.exit(1);
}
const samples = JSON.parse(printed.stdout);
const names = Object.keys(samples);
if (names.length === 0) {
  console.error('the sample printer printed no payloads');
  process.exit(1);
}

const surfaceOf = (payload) => (payload.type === 'home' ? 'home' : payload.type === 'modal' ? 'modal' : 'message');

// ---- 1. Limits from Slack's Block Kit reference (lengths in UTF-16 units, as JavaScript counts) ----

const problems = [];
function checkLimits(name, payload) {
  const fail = (where, what) => problems.push(`${name}${where}: ${what}`);
  const surface = surfaceOf(payload);
  const maxBlocks = surface === 'message' ? 50 : 100;
  if (!Array.isArray(payload.blocks) || payload.blocks.length === 0) fail('', 'no blocks');
  else if (payload.blocks.length > maxBlocks) fail('', `${payload.blocks.length} blocks, at most ${maxBlocks}`);
  if (surface === 'message' && (typeof payload.text !== 'string' || payload.text.length === 0)) {
    fail('', 'a message needs a top-level text fallback');
  }
  if (surface === 'modal') {
    for (const key of ['title', 'submit', 'close']) {
      if (payload[key] && payload[key].text.length > 24) fail(`/${key}`, 'longer than 24');
    }
    if ((payload.private_metadata ?? '').length > 3000) fail('/private_metadata', 'longer than 3000');
  }
  const mrkdwn = [];
  if (typeof payload.text === 'string') mrkdwn.push(payload.text);
  const walk = (node, where) => {
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${where}/${i}`));
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const id of ['block_id', 'action_id', 'callback_id']) {
      if (typeof node[id] === 'string' && node[id].length > 255) fail(where, `${id} longer than 255`);
    }
    const len = (text) => (text && typeof text.text === 'string' ? text.text.length : 0);
    switch (node.type) {
      case 'section':
        if (node.text && (len(node.text) < 1 || len(node.text) > 3000)) fail(where, 'section text not 1..3000');
        if (node.fields && (node.fields.length > 10 || node.fields.some((f) => len(f) > 2000))) {
          fail(where, 'section fields beyond 10 x 2000');
        }
        break;
      case 'header':
        if (len(node.text) > 150) fail(where, 'header longer than 150');
        break;
      case 'context':
        if (node.elements.length > 10) fail(where, 'more than 10 context elements');
        break;
      case 'actions':
        if (node.elements.length > 25) fail(where, 'more than 25 actions');
        break;
      case 'button':
        if (len(node.text) > 75) fail(where, 'button text longer than 75');
        if ((node.value ?? '').length > 2000) fail(where, 'button value longer than 2000');
        if ((node.url ?? '').length > 3000) fail(where, 'button url longer than 3000');
        if (node.confirm) {
          const c = node.confirm;
          if (len(c.title) > 100 || len(c.text) > 300 || len(c.confirm) > 30 || len(c.deny) > 30) {
            fail(where, 'confirm dialog beyond 100/300/30/30');
          }
        }
        break;
      case 'input':
        if (len(node.label) > 2000) fail(where, 'input label longer than 2000');
        break;
      case 'plain_text_input':
        if ((node.max_length ?? 0) > 3000) fail(where, 'max_length above 3000');
        if ((node.initial_value ?? '').length > (node.max_length ?? 3000)) fail(where, 'initial_value above max_length');
        break;
      case 'static_select':
        if ((node.options ?? []).some((o) => len(o.text) > 75 || o.value.length > 150)) fail(where, 'option beyond 75/150');
        break;
      case 'mrkdwn':
        mrkdwn.push(node.text);
        break;
      default:
        break;
    }
    for (const [key, value] of Object.entries(node)) walk(value, `${where}/${key}`);
  };
  walk(payload.blocks, '/blocks');
  // Our payloads never notify a whole channel, whatever users typed.
  for (const text of mrkdwn) {
    const broadcast = text.match(/<!(channel|here|everyone)\b[^>]*>/);
    if (broadcast) fail('', `mrkdwn carries ${broadcast[0]}`);
  }
}
for (const name of names) checkLimits(name, samples[name]);

// ---- 2. Types ------------------------------------------------------------------------------------

const typeOf = { message: 'Message', home: 'Home', modal: 'Modal' };
const lines = [
  "import type { HomeView, KnownBlock, ModalView } from '@slack/types';",
  '',
  '// chat.postMessage / chat.update / response_url bodies as we send them.',
  "type Message = { text: string; blocks: KnownBlock[]; response_type?: 'ephemeral' | 'in_channel' };",
  '// The views, with their blocks narrowed from AnyBlock[] (which takes any {type: string}) to KnownBlock[].',
  '// Omit, not a plain intersection: an intersection of array types loses the excess-property check.',
  "type Home = Omit<HomeView, 'blocks'> & { blocks: KnownBlock[] };",
  "type Modal = Omit<ModalView, 'blocks'> & { blocks: KnownBlock[] };",
  'type IsA<T extends U, U> = T;',
  'export type Checked = [IsA<Home, HomeView>, IsA<Modal, ModalView>];',
  '',
  '// The checker must reject a wrong payload, or a pass would mean nothing.',
  "// @ts-expect-error: 'green' is no button style",
  "export const canary: KnownBlock[] = [{ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'x' }, style: 'green' }] }];",
  '',
];
const ranges = [];
names.forEach((name, i) => {
  const first = lines.length + 1;
  lines.push(`// ${name}`);
  lines.push(...`export const sample_${i}: ${typeOf[surfaceOf(samples[name])]} = ${JSON.stringify(samples[name], null, 2)};`.split('\n'));
  lines.push('');
  ranges.push({ name, first, last: lines.length });
});

const workDir = mkdtempSync(path.join(tmpdir(), 'chal-block-kit-'));
const tsFile = path.join(workDir, 'block_kit_samples.ts');
writeFileSync(tsFile, lines.join('\n'));
writeFileSync(
  path.join(workDir, 'tsconfig.json'),
  JSON.stringify(
    {
      compilerOptions: {
        strict: true,
        noEmit: true,
        target: 'es2022',
        lib: ['es2022'],
        module: 'nodenext',
        moduleResolution: 'nodenext',
        types: [],
        skipLibCheck: false,
        paths: { '@slack/types': [path.join(nodeModules, '@slack', 'types')] },
      },
      files: ['block_kit_samples.ts'],
    },
    null,
    2,
  ),
);

const tsc = path.join(nodeModules, 'typescript', 'bin', 'tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', path.join(workDir, 'tsconfig.json'), '--pretty', 'false'], {
  encoding: 'utf8',
});
if (compiled.error) throw compiled.error;
const diagnostics = `${compiled.stdout}${compiled.stderr}`.trim();
const sampleAt = (line) => ranges.find((r) => line >= r.first && line < r.last)?.name ?? '(preamble)';
const typeErrors = diagnostics
  .split('\n')
  .filter((l) => l.length > 0)
  .map((l) => {
    const m = l.match(/\.ts\((\d+),\d+\)/);
    return m ? `[${sampleAt(Number(m[1]))}] ${l}` : l;
  });

const version = (pkg) => JSON.parse(readFileSync(path.join(nodeModules, pkg, 'package.json'), 'utf8')).version;
const failed = problems.length > 0 || compiled.status !== 0;
for (const p of problems) console.error(`limit: ${p}`);
if (compiled.status !== 0) {
  console.error(`tsc exited with ${compiled.status}:`);
  for (const e of typeErrors) console.error(`  ${e}`);
}
if (failed || process.env.KEEP_BLOCK_KIT_TS) console.error(`generated TypeScript kept in ${tsFile}`);
else rmSync(workDir, { recursive: true, force: true });
if (failed) process.exit(1);
console.log(
  `${names.length} Block Kit payloads match @slack/types ${version('@slack/types')} ` +
    `(TypeScript ${version('typescript')}, strict) and Slack's documented limits`,
);
