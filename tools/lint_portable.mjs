#!/usr/bin/env node
/**
 * Portability lint for shared firmware code: `node tools/lint_portable.mjs [root=firmware]`.
 *
 * firmware/ (minus firmware/platform/, which only one compiler sees) is compiled twice: by asc
 * to WASM and by esbuild to JS for Espruino 2v29. This lint refuses what ../shared/PORTABLE.md
 * (and the measurements noted below) shows compiling differently or failing on one side.
 *
 * Part 1, `tsc`: the TypeScript compiler with tools/lint/tsconfig.json (noLib, strict) and
 *   tools/lint/portable.d.ts as the only ambient world. Anything not declared there is
 *   "Cannot find name": u8/u16/i64 types (small ints wrap in asc: `b: u8 = 255; b++` is 0 vs
 *   256; i64 is wrong in JS), load/store/unchecked/changetype/sizeof/StaticArray/u8(x)
 *   (ReferenceError in JS), Map/Set/Symbol/JSON/console/…
 * Part 2, rules on the syntax tree (rule name: why):
 *   for-of, for-in      asc: "Not implemented: Iterators".
 *   try, throw          asc aborts on throw and has no catch. Return ERR_* values.
 *   closure             function/arrow expressions, nested functions: asc "Not implemented:
 *                       Closures". Use named top-level functions, passed by name.
 *   default-param, rest-param, spread, destructuring
 *                       Espruino parses them but leaves the variables undefined.
 *   optional-chain, logical-assign (??= ||= &&=), exponent (** **=), label, computed-key
 *                       not supported by Espruino; esbuild lets labels and computed keys through.
 *   nullish             `??` is a parse error in asc 0.27.37 (measured).
 *   decorator           `@inline`/`@external` on a function: esbuild error.
 *   numeric-cast        `<u8>300` is 44 in WASM, 300 in JS; `<i32>42.9` is 42 vs 42.9: esbuild
 *                       erases assertions, asc converts. Assertions to class types are fine.
 *   division            i32 `7 / 2 * 10` is 30 in WASM, 35 in JS. Write `(a / b) | 0`; a float
 *                       division on a line marked `// portable: f64` is allowed.
 *   small-int-read      a Uint8Array/Uint16Array read is u8/u16 in asc and wraps like one:
 *                       `buf[0] << 8 | buf[1]` is 0x36 (not 0x1234), `buf[0] + 1` is 0 for 255,
 *                       `let x = buf[0]` is a u8 local (measured with asc 0.27.37).
 *   extends-error, array-from, builtin (Map Set WeakMap WeakSet Symbol BigInt Promise)
 *                       missing on Espruino (and in the whitelist).
 *   strict-equals       `===`/`!==` meant identity in older asc; 0.27.37 compares strings by value
 *                       with both (measured), so this keeps one spelling: `==`/`!=`.
 *   delete, typeof, in, instanceof, with, var
 *                       dynamic-object features asc lacks or treats differently.
 *   async, generator    no Promise/iterators in asc or the whitelist.
 *   tagged-template     tag functions are closures over string arrays; plain templates are fine.
 *
 * Exit status: 0 clean, 1 findings, 2 usage error. `lintFiles(paths)` is the API for tests.
 */
import ts from "typescript";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Every rule name besides "tsc"; test/lint/refused has a fixture for each. */
export const RULES = ["for-of", "for-in", "try", "throw", "closure", "default-param", "rest-param",
  "spread", "destructuring", "optional-chain", "logical-assign", "exponent", "label", "computed-key",
  "nullish", "decorator", "numeric-cast", "division", "small-int-read", "extends-error", "array-from",
  "builtin", "strict-equals", "delete", "typeof", "in", "instanceof", "with", "var", "async",
  "generator", "tagged-template"];
const LINT_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "lint");
const DTS = path.join(LINT_DIR, "portable.d.ts");
const NUMERIC_TYPES = new Set(["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "isize",
  "usize", "f32", "f64", "bool", "v128", "number", "boolean"]);
const MISSING_BUILTINS = new Set(["Map", "Set", "WeakMap", "WeakSet", "Symbol", "BigInt", "Promise"]);
const SMALL_INT_ARRAYS = new Set(["Uint8Array", "Uint16Array"]);
const K = ts.SyntaxKind;
const WIDENING_OPS = new Set([K.PlusToken, K.MinusToken, K.AsteriskToken, K.SlashToken,
  K.PercentToken, K.LessThanLessThanToken, K.BarToken, K.CaretToken, K.AsteriskAsteriskToken]);
const NARROWING_OPS = new Set([K.AmpersandToken, K.GreaterThanGreaterThanToken,
  K.GreaterThanGreaterThanGreaterThanToken]);
const F64_ESCAPE = /\/\/\s*portable:\s*f64\b/;
/** Global types tsc misses under noLib only because of a construct a rule already refuses. */
const GLOBAL_TYPE_RULE = { Promise: "async", PromiseLike: "async", Generator: "generator",
  IterableIterator: "generator", TemplateStringsArray: "tagged-template" };

/** Compiler options from tools/lint/tsconfig.json (the file list there is for `tsc -p`). */
export function compilerOptions() {
  const configPath = path.join(LINT_DIR, "tsconfig.json");
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, "\n"));
  return ts.parseJsonConfigFileContent(config, ts.sys, LINT_DIR).options;
}

/** Every .ts file under root, except root/platform/. */
export function sharedFiles(root) {
  const out = [];
  const platform = path.resolve(root, "platform");
  (function walk(dir) {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) { if (path.resolve(full) != platform) walk(full); }
      else if (entry.name.endsWith(".ts")) out.push(full);
    }
  })(root);
  return out.sort();
}

/** Lint the given .ts files: [{file, line, col, rule, message}], sorted by position. */
export function lintFiles(paths) {
  const files = paths.map((p) => path.resolve(p));
  const program = ts.createProgram([...files, DTS], compilerOptions());
  const checker = program.getTypeChecker();
  const findings = [];
  const spans = []; // [fileName, start, end] of rule findings: tsc diagnostics inside are repeats
  for (const sf of program.getSourceFiles().filter((s) => files.includes(path.resolve(s.fileName)))) {
    const report = (node, rule, message, start = node.getStart(sf), end = node.end) => {
      const { line, character } = sf.getLineAndCharacterOfPosition(node.getStart(sf));
      findings.push({ file: sf.fileName, line: line + 1, col: character + 1, rule, message });
      spans.push([sf.fileName, start, end]);
    };
    const visit = (node) => { checkNode(node, sf, checker, report); ts.forEachChild(node, visit); };
    visit(sf);
  }
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const file = d.file ? d.file.fileName : "(global)";
    if (d.file && spans.some(([f, s, e]) => f == file && d.start >= s && d.start < e)) continue;
    const missing = /global type '(\w+)'/.exec(ts.flattenDiagnosticMessageText(d.messageText, " "));
    if (!d.file && missing && findings.some((f) => f.rule == GLOBAL_TYPE_RULE[missing[1]])) continue;
    const pos = d.file ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 };
    findings.push({ file, line: pos.line + 1, col: pos.character + 1, rule: "tsc",
      message: `TS${d.code} ${ts.flattenDiagnosticMessageText(d.messageText, " ")}` });
  }
  for (const f of findings) f.file = path.relative(process.cwd(), f.file) || f.file;
  return findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}

const skipParens = (n) => (ts.isParenthesizedExpression(n) ? skipParens(n.expression) : n);
const bodyStart = (node, sf) => (node.body ? node.body.getStart(sf) : node.end);

/** An expression asc types as u8/u16: a Uint8Array/Uint16Array read, or one narrowed further. */
function isSmallIntRead(node, checker) {
  node = skipParens(node);
  if (ts.isElementAccessExpression(node)) {
    const symbol = checker.getTypeAtLocation(node.expression).getSymbol();
    return symbol != null && SMALL_INT_ARRAYS.has(symbol.name);
  }
  if (ts.isBinaryExpression(node) && NARROWING_OPS.has(node.operatorToken.kind)) return isSmallIntRead(node.left, checker);
  if (ts.isConditionalExpression(node)) return isSmallIntRead(node.whenTrue, checker) || isSmallIntRead(node.whenFalse, checker);
  return false;
}

/** True when the division `node` (skipping parentheses) is the left operand of `| 0` or `>>> 0`. */
function isTruncated(node) {
  let inner = node;
  while (ts.isParenthesizedExpression(inner.parent)) inner = inner.parent;
  const p = inner.parent;
  return ts.isBinaryExpression(p) && p.left == inner && ts.isNumericLiteral(p.right) && p.right.text == "0"
    && (p.operatorToken.kind == K.BarToken || p.operatorToken.kind == K.GreaterThanGreaterThanGreaterThanToken);
}

function lineText(sf, pos) {
  const { line } = sf.getLineAndCharacterOfPosition(pos);
  const starts = sf.getLineStarts();
  return sf.text.slice(starts[line], line + 1 < starts.length ? starts[line + 1] : sf.text.length);
}

function isNestedFunction(node) {
  for (let p = node.parent; p; p = p.parent) if (ts.isFunctionLike(p)) return true;
  return false;
}

function checkNode(node, sf, checker, report) {
  const hasModifier = (kind) => (ts.canHaveModifiers(node) ? ts.getModifiers(node) ?? [] : []).some((m) => m.kind == kind);
  switch (node.kind) {
    case K.ForOfStatement: return report(node, "for-of", "asc has no iterators: write `for (let i = 0; i < a.length; i++)`", node.getStart(sf), node.statement.getStart(sf));
    case K.ForInStatement: return report(node, "for-in", "no property enumeration in asc: loop over an index", node.getStart(sf), node.statement.getStart(sf));
    case K.TryStatement: return report(node, "try", "asc has no catch: return a negative ERR_* code and check it", node.getStart(sf), node.tryBlock.getStart(sf));
    case K.ThrowStatement: return report(node, "throw", "asc aborts on throw: return a negative ERR_* code instead");
    case K.ArrowFunction:
    case K.FunctionExpression: return report(node, "closure", "asc has no closures: declare a named top-level function and pass it by name", node.getStart(sf), bodyStart(node, sf));
    case K.FunctionDeclaration:
      if (isNestedFunction(node)) report(node, "closure", "nested functions are closures in asc: move it to top level", node.getStart(sf), bodyStart(node, sf));
      break;
    case K.Parameter:
      if (node.initializer) report(node.initializer, "default-param", "Espruino leaves defaulted parameters undefined: pass every argument explicitly");
      if (node.dotDotDotToken) report(node, "rest-param", "Espruino leaves rest parameters undefined: pass an array");
      break;
    case K.SpreadElement:
    case K.SpreadAssignment: return report(node, "spread", "Espruino does not spread: copy elements or fields one by one");
    case K.ObjectBindingPattern:
    case K.ArrayBindingPattern:
      if (!ts.isBindingElement(node.parent)) report(node, "destructuring", "Espruino leaves destructured variables undefined: read each field into its own variable");
      break;
    case K.PropertyAccessExpression:
    case K.ElementAccessExpression:
    case K.CallExpression:
      if (node.questionDotToken) report(node.questionDotToken, "optional-chain", "Espruino has no `?.`: test `x != null` first");
      if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && node.expression.text == "Array" && node.name.text == "from")
        report(node, "array-from", "Espruino has no Array.from: use an array literal and push, or a typed array");
      break;
    case K.LabeledStatement: return report(node.label, "label", "Espruino has no labelled loops: use a flag variable or a function that returns");
    case K.ComputedPropertyName: return report(node, "computed-key", "Espruino has no computed keys: name the member");
    case K.Decorator: return report(node, "decorator", "esbuild refuses decorators on functions: drop it (asc inlines by itself at -O3)");
    case K.TypeAssertionExpression:
    case K.AsExpression: {
      const t = node.type;
      const name = ts.isTypeReferenceNode(t) && ts.isIdentifier(t.typeName) ? t.typeName.text
        : t.kind == K.NumberKeyword ? "number" : t.kind == K.BooleanKeyword ? "boolean" : null;
      if (name && NUMERIC_TYPES.has(name))
        report(node, "numeric-cast", `esbuild erases <${name}> but asc converts: convert with i32 operators (\`x & 0xff\`, \`x | 0\`, \`x >>> 0\`, \`x != 0\`); f64 to i32 has no portable spelling, keep it in platform/`, t.getStart(sf), t.end);
      break;
    }
    case K.BinaryExpression: return checkBinary(node, sf, checker, report);
    case K.PrefixUnaryExpression:
      if ([K.MinusToken, K.TildeToken, K.PlusToken].includes(node.operator) && isSmallIntRead(node.operand, checker))
        report(node, "small-int-read", "this typed-array element is u8/u16 in asc and the result wraps: first `const v: i32 = buf[i];`, then compute with v");
      break;
    case K.VariableDeclaration:
    case K.PropertyDeclaration:
      if (!node.type && node.initializer && isSmallIntRead(node.initializer, checker))
        report(node, "small-int-read", "asc infers u8/u16 from a typed-array read, and that wraps: annotate it, e.g. `const v: i32 = buf[i]`");
      break;
    case K.HeritageClause:
      for (const t of node.types)
        if (node.token == K.ExtendsKeyword && ts.isIdentifier(t.expression) && t.expression.text == "Error")
          report(t, "extends-error", "Espruino cannot extend Error and asc cannot throw: return ERR_* codes");
      break;
    case K.Identifier:
      if (MISSING_BUILTINS.has(node.text) && node.parent.name != node)
        report(node, "builtin", `${node.text} is missing on Espruino: use fixed-size arrays or typed arrays indexed by i32`);
      break;
    case K.BigIntLiteral: return report(node, "builtin", "BigInt is missing on Espruino and i64 is wrong in JS: use two i32 halves");
    case K.DeleteExpression: return report(node, "delete", "asc objects have fixed fields: reset the field to a sentinel value");
    case K.TypeOfExpression: return report(node, "typeof", "runtime types differ between builds: keep static types, use ASC_TARGET for build checks");
    case K.WithStatement: return report(node, "with", "not allowed in strict code or asc: name the object", node.getStart(sf), node.statement.getStart(sf));
    case K.VariableDeclarationList:
      if ((node.flags & ts.NodeFlags.BlockScoped) == 0) report(node, "var", "write `let` or `const`", node.getStart(sf), node.getStart(sf) + 3);
      break;
    case K.AwaitExpression: return report(node, "async", "no promises in asc: use callbacks through named functions or a state machine");
    case K.YieldExpression: return report(node, "generator", "no generators in asc: write a state machine with an explicit index");
    case K.TaggedTemplateExpression: return report(node, "tagged-template", "tag functions need closures over string arrays: call a named function with plain values");
  }
  if (ts.isFunctionLike(node) && hasModifier(K.AsyncKeyword))
    report(node, "async", "no promises in asc: use callbacks through named functions or a state machine", node.getStart(sf), bodyStart(node, sf));
  if (ts.isFunctionLike(node) && node.asteriskToken)
    report(node, "generator", "no generators in asc: write a state machine with an explicit index", node.getStart(sf), bodyStart(node, sf));
}

function checkBinary(node, sf, checker, report) {
  const op = node.operatorToken.kind;
  const at = (rule, message) => report(node.operatorToken, rule, message);
  if (op == K.SlashToken || op == K.SlashEqualsToken) {
    if (!F64_ESCAPE.test(lineText(sf, node.operatorToken.getStart(sf))) && (op == K.SlashEqualsToken || !isTruncated(node)))
      at("division", "i32 division truncates in asc but not in JS: write (a / b) | 0 (or `// portable: f64` on the line for a float division)");
  }
  if (op == K.EqualsEqualsEqualsToken || op == K.ExclamationEqualsEqualsToken) at("strict-equals", "write `==` or `!=`");
  if (op == K.QuestionQuestionToken) at("nullish", "asc 0.27 cannot parse `??`: write `x != null ? x : y`");
  if (op == K.QuestionQuestionEqualsToken || op == K.BarBarEqualsToken || op == K.AmpersandAmpersandEqualsToken)
    at("logical-assign", "Espruino has no logical assignment: write `if (!x) x = y`");
  if (op == K.AsteriskAsteriskToken || op == K.AsteriskAsteriskEqualsToken) at("exponent", "Espruino has no `**`: multiply, or shift `1 << n`");
  if (op == K.InKeyword) at("in", "asc has no `in`: keep a flag or a field");
  if (op == K.InstanceOfKeyword) at("instanceof", "class identity differs between builds: keep a kind field");
  if (op == K.EqualsToken && (ts.isObjectLiteralExpression(node.left) || ts.isArrayLiteralExpression(node.left)))
    report(node.left, "destructuring", "Espruino leaves destructured variables undefined: assign each variable on its own");
  if (WIDENING_OPS.has(op) && isSmallIntRead(node.left, checker))
    report(node.left, "small-int-read", "this typed-array element is u8/u16 in asc and the result wraps: first `const v: i32 = buf[i];`, then compute with v");
}

function main(args) {
  if (args.length > 1 || args.some((a) => a.startsWith("-"))) {
    console.error("usage: node tools/lint_portable.mjs [root=firmware]");
    return 2;
  }
  const root = args[0] ?? "firmware";
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    console.error(`lint_portable: ${root} is not a directory`);
    return 2;
  }
  const findings = lintFiles(sharedFiles(root));
  for (const f of findings) console.log(`${f.file}:${f.line}:${f.col} ${f.rule}: ${f.message}`);
  console.log(findings.length == 0 ? "portable: clean" : `portable: ${findings.length} finding(s)`);
  return findings.length == 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) == fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
