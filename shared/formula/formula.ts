// The KPI formula language: tokenizer, recursive-descent parser, canonical printer and read-set helper.
// Formulas come from config files, so they are parsed into an AST and never eval'ed. Whatever the text, parsing either
// returns an AST or throws a FormulaError with a position: length and nesting are bounded so no input can exhaust the
// stack of the parser or of the code that walks the AST (printing, evaluation).

/** A parse error; `position` is the 0-based offset into the formula, the message shows it 1-based as editors do. */
export class FormulaError extends Error {
  override name = 'FormulaError';
  readonly position: number;
  readonly source: string;
  constructor(message: string, position: number, source: string) {
    super(`at column ${position + 1}: ${message}`);
    this.position = position;
    this.source = source;
  }
}

/** Longest formula accepted, in characters (UTF-16 code units, as `position` counts). */
export const MAX_FORMULA_LENGTH = 2000;
/**
 * Deepest formula accepted: every parenthesis, function call, operator (+ - * / and unary minus) and condition
 * (and, or, not) adds a level, so a chain `a + b + c` is as deep as its operators.
 */
export const MAX_FORMULA_DEPTH = 100;
/** Longest retention period, in days (a year, leap day included): the rollup reads this far past a cohort's day. */
export const MAX_RETENTION_DAYS = 366;

// ---------------------------------------------------------------------------------------------------------------
// AST

export type Formula = Expr;
export type Expr = NumberExpr | NegateExpr | BinaryExpr | AggregateExpr | RetentionExpr;
/** Terms are the parts of a formula that read events; everything else is arithmetic on their values. */
export type TermExpr = AggregateExpr | RetentionExpr;

export interface NumberExpr {
  kind: 'number';
  value: number;
  position: number;
}
export interface NegateExpr {
  kind: 'negate';
  operand: Expr;
  position: number;
}
export type ArithmeticOp = '+' | '-' | '*' | '/';
export interface BinaryExpr {
  kind: 'binary';
  op: ArithmeticOp;
  left: Expr;
  right: Expr;
  position: number;
}
export type AggregateFn = 'count' | 'sum' | 'avg' | 'min' | 'max' | 'distinct';
export interface AggregateExpr {
  kind: 'aggregate';
  fn: AggregateFn;
  events: EventSelector;
  /** The value aggregated: absent for count, a property for sum/avg/min/max, the key for distinct. */
  field?: FieldRef;
  position: number;
}
export interface RetentionExpr {
  kind: 'retention';
  cohort: EventSelector;
  returning: EventSelector;
  /** Return day = cohort day + days (local calendar days). */
  days: number;
  /** How the period was written, kept so the label reads like the source ('1 week' vs '7 days'). */
  unit: 'day' | 'week';
  position: number;
}
export interface EventSelector {
  /** null = any event. */
  event: string | null;
  where?: Condition;
}
/** `userId`, `messageId` and `event` are fields of the event itself; every other name is a (nested) property. */
export type FieldRef = { in: 'event'; name: 'userId' | 'messageId' | 'event' } | { in: 'properties'; path: string[] };
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type Literal = string | number | boolean;
export type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; operand: Condition }
  | { kind: 'compare'; field: FieldRef; op: CompareOp; value: Literal };

const FUNCTIONS = ['count', 'sum', 'avg', 'min', 'max', 'distinct', 'retention'] as const;
type FunctionName = (typeof FUNCTIONS)[number];
const EVENT_FIELDS = new Set(['userId', 'messageId', 'event']);
const KEYWORDS = new Set(['where', 'of', 'and', 'or', 'not', 'any', 'true', 'false']);
const COMPARE_OPS = new Set<string>(['==', '!=', '<', '<=', '>', '>=']);

// ---------------------------------------------------------------------------------------------------------------
// Tokens

interface Token {
  kind: 'number' | 'string' | 'ident' | 'op' | 'end';
  /** Source text (for errors); for strings the unescaped value is in `value`. */
  text: string;
  value: string;
  pos: number;
}

const OPS = ['->', '==', '!=', '<=', '>=', '(', ')', '.', ',', '+', '-', '*', '/', '<', '>'];
/** Operators people bring from other languages, with what to write instead. */
const FOREIGN_OPS: [string, string][] = [
  ['&&', "use 'and' instead of '&&'"],
  ['||', "use 'or' instead of '||'"],
  ['=>', "use '>=' instead of '=>'"],
  ['=<', "use '<=' instead of '=<'"],
  ['<>', "use '!=' instead of '<>'"],
  ['=', "use '==' to compare, not '='"],
  ['!', "use 'not' or '!=' instead of '!'"],
  ['&', "use 'and' instead of '&'"],
  ['|', "use 'or' instead of '|'"],
];

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}
function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isIdentPart(c: string): boolean {
  return isIdentStart(c) || isDigit(c);
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (isDigit(c)) {
      i = readNumber(src, i, tokens);
    } else if (isIdentStart(c)) {
      const start = i;
      while (i < src.length && isIdentPart(src[i]!)) i++;
      const text = src.slice(start, i);
      tokens.push({ kind: 'ident', text, value: text, pos: start });
    } else if (c === '"' || c === "'") {
      i = readString(src, i, tokens);
    } else {
      i = readOperator(src, i, tokens);
    }
  }
  tokens.push({ kind: 'end', text: '', value: '', pos: src.length });
  return tokens;
}

function readNumber(src: string, start: number, tokens: Token[]): number {
  let i = start;
  while (i < src.length && isDigit(src[i]!)) i++;
  if (src[i] === '.' && isDigit(src[i + 1] ?? '')) {
    i++;
    while (i < src.length && isDigit(src[i]!)) i++;
  }
  const text = src.slice(start, i);
  tokens.push({ kind: 'number', text, value: text, pos: start });
  return i;
}

/** Backslash escapes the next character, so names may contain either quote. */
function readString(src: string, start: number, tokens: Token[]): number {
  const quote = src[start]!;
  let value = '';
  let i = start + 1;
  while (i < src.length && src[i] !== quote) {
    if (src[i] === '\\' && i + 1 < src.length) i++;
    value += src[i];
    i++;
  }
  if (i >= src.length) {
    throw new FormulaError(
      `unterminated string: expected a closing ${quote} before the end of the formula`,
      start,
      src,
    );
  }
  tokens.push({ kind: 'string', text: src.slice(start, i + 1), value, pos: start });
  return i + 1;
}

function readOperator(src: string, i: number, tokens: Token[]): number {
  const op = OPS.find((o) => src.startsWith(o, i));
  if (op !== undefined) {
    tokens.push({ kind: 'op', text: op, value: op, pos: i });
    return i + op.length;
  }
  const foreign = FOREIGN_OPS.find(([o]) => src.startsWith(o, i));
  if (foreign) throw new FormulaError(`unexpected '${foreign[0]}': ${foreign[1]}`, i, src);
  throw new FormulaError(
    `unexpected character '${String.fromCodePoint(src.codePointAt(i)!)}' (operators are + - * / and comparisons == != < <= > >=)`,
    i,
    src,
  );
}

function describe(t: Token): string {
  if (t.kind === 'end') return 'end of formula';
  if (t.kind === 'string') return t.text;
  return `'${t.text}'`;
}

// ---------------------------------------------------------------------------------------------------------------
// Parser

/** Parses a formula into its AST; throws FormulaError saying what was expected where, and nothing else. */
export function parseFormula(src: string): Formula {
  if (src.length > MAX_FORMULA_LENGTH) {
    throw new FormulaError(
      `the formula is longer than ${MAX_FORMULA_LENGTH} characters (it has ${src.length}); simplify it`,
      MAX_FORMULA_LENGTH,
      src,
    );
  }
  const parser = new Parser(src, tokenize(src));
  return parser.formula();
}

class Parser {
  readonly src: string;
  readonly tokens: Token[];
  i = 0;
  /** Levels being parsed (the recursion depth), checked before descending so deep input cannot exhaust the stack. */
  private open = 0;
  /** Depth of each node built so far, checked as nodes are built so long chains (a + b + c ...) are bounded too. */
  private readonly depths = new WeakMap<object, number>();

  constructor(src: string, tokens: Token[]) {
    this.src = src;
    this.tokens = tokens;
  }

  formula(): Expr {
    if (this.peek().kind === 'end') this.fail('a formula such as count("Order Completed")');
    const expr = this.additive();
    const t = this.peek();
    if (t.kind === 'end') return expr;
    if (this.isOp(')')) throw new FormulaError("unexpected ')' with no matching '('", t.pos, this.src);
    return this.fail('an operator (+ - * /) or the end of the formula');
  }

  // Arithmetic: additive > multiplicative > unary minus > primary.

  additive(): Expr {
    let left = this.multiplicative();
    while (this.isOp('+') || this.isOp('-')) {
      const op = this.next();
      const right = this.multiplicative();
      left = this.built({ kind: 'binary', op: op.text as ArithmeticOp, left, right, position: op.pos }, left, right);
    }
    return left;
  }

  multiplicative(): Expr {
    let left = this.unary();
    while (this.isOp('*') || this.isOp('/')) {
      const op = this.next();
      const right = this.unary();
      left = this.built({ kind: 'binary', op: op.text as ArithmeticOp, left, right, position: op.pos }, left, right);
    }
    return left;
  }

  unary(): Expr {
    if (this.isOp('-')) {
      const op = this.next();
      const operand = this.nested(op.pos, () => this.unary());
      return this.built({ kind: 'negate', operand, position: op.pos }, operand);
    }
    return this.primary();
  }

  primary(): Expr {
    const t = this.peek();
    if (t.kind === 'number') {
      this.next();
      return { kind: 'number', value: this.number(t), position: t.pos };
    }
    if (this.isOp('(')) {
      this.next();
      const inner = this.nested(t.pos, () => this.additive());
      this.expectOp(')', `')' to close the '(' at column ${t.pos + 1}`);
      return this.grouped(inner, t.pos);
    }
    if (t.kind === 'ident') return this.call();
    const hint = t.kind === 'string' ? ` (event names go inside a function, e.g. count(${t.text}))` : '';
    return this.fail("a number, '(' or a function such as count(...)", hint);
  }

  call(): TermExpr {
    const name = this.next();
    const fn = FUNCTIONS.find((f) => f === name.text);
    if (fn === undefined) {
      if (!this.isOp('(')) {
        this.back();
        return this.fail(
          "a number, '(' or a function such as count(...)",
          ' (properties can only be read inside a function, e.g. sum("Order Completed".revenue))',
        );
      }
      throw new FormulaError(unknownFunction(name.text), name.pos, this.src);
    }
    this.expectOp('(', `'(' after '${fn}'`);
    const term = this.nested(name.pos, () => this.callBody(fn, name.pos));
    const parts = termSelectors(term).map((s) => s.where);
    return this.built(term, ...parts);
  }

  callBody(fn: FunctionName, position: number): TermExpr {
    switch (fn) {
      case 'count': {
        const events = this.selector(fn);
        this.close(events, 'the event name');
        return { kind: 'aggregate', fn, events, position };
      }
      case 'distinct':
        return this.distinct(position);
      case 'retention':
        return this.retention(position);
      default:
        return this.propertyAggregate(fn, position);
    }
  }

  /** sum("Order Completed".profit [where ...]) and the same shape for avg, min, max. */
  propertyAggregate(fn: 'sum' | 'avg' | 'min' | 'max', position: number): AggregateExpr {
    const event = this.eventName(fn);
    const example = `e.g. ${fn}("Order Completed".revenue)`;
    this.expectOp('.', `'.' and a property name after the event name (${example})`);
    const field = this.field(`a property name after '.' (${example})`, true);
    const events = this.optionalWhere(event);
    this.close(events, 'the property name');
    return { kind: 'aggregate', fn, events, field, position };
  }

  /** distinct(userId of "Signed Up" [where ...]) */
  distinct(position: number): AggregateExpr {
    const example = 'e.g. distinct(userId of "Signed Up")';
    const field = this.field(`a property name such as userId (${example})`);
    if (!this.isIdent('of')) this.fail(`'of' and an event name after the property name (${example})`);
    this.next();
    const events = this.selector('distinct');
    this.close(events, 'the event name');
    return { kind: 'aggregate', fn: 'distinct', events, field, position };
  }

  /** retention("Signed Up" [where ...] -> any [where ...], 1 day) */
  retention(position: number): RetentionExpr {
    const example = 'e.g. retention("Signed Up" -> any, 1 day)';
    const cohort = this.selector('retention');
    if (!this.isOp('->')) {
      this.fail(`${cohort.where ? "'and', 'or' or " : "'where' or "}'->' and the return event (${example})`);
    }
    this.next();
    const returning = this.selector('retention');
    if (!this.isOp(',')) {
      this.fail(`${returning.where ? "'and', 'or' or " : "'where' or "}',' and a period such as 1 day (${example})`);
    }
    this.next();
    const n = this.peek();
    if (n.kind !== 'number' || !/^\d+$/.test(n.text) || Number(n.text) < 1) {
      this.fail('a whole number of days of at least 1');
    }
    this.next();
    const unit = this.peek();
    if (unit.kind !== 'ident' || !['day', 'days', 'week', 'weeks'].includes(unit.text)) {
      this.fail(`'day', 'days', 'week' or 'weeks' after ${n.text}`);
    }
    this.next();
    const perWeek = unit.text.startsWith('week');
    const days = Number(n.text) * (perWeek ? 7 : 1);
    if (days > MAX_RETENTION_DAYS) {
      throw new FormulaError(
        `a retention period of at most ${MAX_RETENTION_DAYS} days (${Math.floor(MAX_RETENTION_DAYS / 7)} weeks), found ${n.text} ${unit.text}`,
        n.pos,
        this.src,
      );
    }
    this.expectOp(')', "')' after the period");
    return { kind: 'retention', cohort, returning, days, unit: perWeek ? 'week' : 'day', position };
  }

  selector(fn: string): EventSelector {
    return this.optionalWhere(this.eventName(fn));
  }

  eventName(fn: string): string | null {
    const t = this.peek();
    if (t.kind === 'string') {
      this.next();
      return t.value;
    }
    if (t.kind === 'ident' && t.text === 'any') {
      this.next();
      return null;
    }
    const hint = t.kind === 'ident' ? ' (event names are quoted)' : '';
    return this.fail(`an event name in quotes or 'any' in ${fn}(...)`, hint);
  }

  optionalWhere(event: string | null): EventSelector {
    if (!this.isIdent('where')) return { event };
    this.next();
    return { event, where: this.or() };
  }

  /** Closes a function call; what may come instead of ')' depends on whether a where clause was given. */
  close(sel: EventSelector, after: string): void {
    if (this.isOp(')')) {
      this.next();
      return;
    }
    this.fail(sel.where ? "'and', 'or' or ')' after the condition" : `'where' or ')' after ${after}`);
  }

  // Conditions: or > and > not > comparison.

  or(): Condition {
    let left = this.and();
    while (this.isIdent('or')) {
      const op = this.next();
      const right = this.and();
      left = this.built({ kind: 'or', left, right }, left, right, op.pos);
    }
    return left;
  }

  and(): Condition {
    let left = this.not();
    while (this.isIdent('and')) {
      const op = this.next();
      const right = this.not();
      left = this.built({ kind: 'and', left, right }, left, right, op.pos);
    }
    return left;
  }

  not(): Condition {
    if (this.isIdent('not')) {
      const op = this.next();
      const operand = this.nested(op.pos, () => this.not());
      return this.built({ kind: 'not', operand }, operand, op.pos);
    }
    if (this.isOp('(')) {
      const open = this.next();
      const inner = this.nested(open.pos, () => this.or());
      if (!this.isOp(')')) this.fail(`'and', 'or' or ')' to close the '(' at column ${open.pos + 1}`);
      this.next();
      return this.grouped(inner, open.pos);
    }
    return this.comparison();
  }

  comparison(): Condition {
    const start = this.i;
    const field = this.field('a property name to compare');
    const name = this.tokens
      .slice(start, this.i)
      .map((t) => t.text)
      .join('');
    const op = this.peek();
    if (op.kind !== 'op' || !COMPARE_OPS.has(op.text)) {
      this.fail(`a comparison (== != < <= > >=) after '${name}'`);
    }
    this.next();
    const at = this.peek().pos;
    const value = this.literal(op.text);
    if (typeof value === 'boolean' && op.text !== '==' && op.text !== '!=') {
      throw new FormulaError(`'${op.text}' compares numbers or strings, not ${value}; use == or !=`, at, this.src);
    }
    return { kind: 'compare', field, op: op.text as CompareOp, value };
  }

  literal(after: string): Literal {
    const t = this.peek();
    if (t.kind === 'string') {
      this.next();
      return t.value;
    }
    if (t.kind === 'ident' && (t.text === 'true' || t.text === 'false')) {
      this.next();
      return t.text === 'true';
    }
    const negative = this.isOp('-') && this.tokens[this.i + 1]?.kind === 'number';
    if (negative) this.next();
    const n = this.peek();
    if (n.kind === 'number') {
      this.next();
      const value = this.number(n);
      // -0 would print as 0; they compare alike, so keep the one that reads back the same.
      return negative && value !== 0 ? -value : value;
    }
    const hint = t.kind === 'ident' ? ` (quote text values: "${t.text}")` : '';
    return this.fail(`a value (a number, a quoted string, true or false) after '${after}'`, hint);
  }

  /** A property path `a.b.c`; after a dot any identifier is fine, so properties may be named like keywords. */
  field(expected: string, afterDot = false): FieldRef {
    const first = this.peek();
    if (first.kind !== 'ident' || (!afterDot && KEYWORDS.has(first.text))) this.fail(expected);
    this.next();
    const path = [first.text];
    while (this.isOp('.')) {
      this.next();
      const seg = this.peek();
      if (seg.kind !== 'ident') this.fail("a property name after '.'");
      this.next();
      path.push(seg.text);
    }
    return resolveField(path);
  }

  /** A number token's value; digits past what a double holds read as Infinity, which no KPI can use. */
  number(t: Token): number {
    const value = Number(t.text);
    if (!Number.isFinite(value)) {
      throw new FormulaError(`number too large (${t.text.length} digits)`, t.pos, this.src);
    }
    return value;
  }

  // Depth bounds.

  /** Parses a nested part, refusing to descend past MAX_FORMULA_DEPTH levels (reported at `position`). */
  nested<T>(position: number, parse: () => T): T {
    if (++this.open > MAX_FORMULA_DEPTH) this.tooDeep(position);
    const result = parse();
    this.open--;
    return result;
  }

  /**
   * Records a node's depth, one more than its deepest part (a part not recorded is a leaf, depth 1), and refuses it past
   * MAX_FORMULA_DEPTH. A condition has no position of its own, so its operator's is given for the message.
   */
  built<T extends object>(node: T, ...parts: (object | number | undefined)[]): T {
    let deepest = 0;
    let position = 'position' in node && typeof node.position === 'number' ? node.position : 0;
    for (const part of parts) {
      if (typeof part === 'number') position = part;
      else if (part !== undefined) deepest = Math.max(deepest, this.depths.get(part) ?? 1);
    }
    if (deepest + 1 > MAX_FORMULA_DEPTH) this.tooDeep(position);
    this.depths.set(node, deepest + 1);
    return node;
  }

  /** Parentheses add a level around the node they enclose. */
  grouped<T extends object>(inner: T, position: number): T {
    const depth = (this.depths.get(inner) ?? 1) + 1;
    if (depth > MAX_FORMULA_DEPTH) this.tooDeep(position);
    this.depths.set(inner, depth);
    return inner;
  }

  tooDeep(position: number): never {
    throw new FormulaError(
      `the formula nests more than ${MAX_FORMULA_DEPTH} levels deep (each parenthesis, function call, operator, and, or and not adds one); simplify it`,
      position,
      this.src,
    );
  }

  // Token helpers.

  peek(): Token {
    return this.tokens[this.i]!;
  }
  next(): Token {
    const t = this.tokens[this.i]!;
    if (t.kind !== 'end') this.i++;
    return t;
  }
  back(): void {
    this.i--;
  }
  isOp(text: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.text === text;
  }
  isIdent(text: string): boolean {
    const t = this.peek();
    return t.kind === 'ident' && t.text === text;
  }
  expectOp(text: string, expected: string): void {
    if (!this.isOp(text)) this.fail(expected);
    this.next();
  }
  fail(expected: string, hint = ''): never {
    const t = this.peek();
    throw new FormulaError(`expected ${expected}, found ${describe(t)}${hint}`, t.pos, this.src);
  }
}

function resolveField(path: string[]): FieldRef {
  const [first, ...rest] = path as [string, ...string[]];
  if (rest.length === 0 && EVENT_FIELDS.has(first)) return { in: 'event', name: first as 'userId' };
  // 'properties.userId' reaches a property that shares its name with an event field.
  if (first === 'properties' && rest.length > 0) return { in: 'properties', path: rest };
  return { in: 'properties', path };
}

function unknownFunction(name: string): string {
  const known = `expected ${FUNCTIONS.slice(0, -1).join(', ')} or ${FUNCTIONS.at(-1)}`;
  const close = FUNCTIONS.find((f) => editDistance(f, name.toLowerCase()) <= Math.min(2, name.length - 1));
  return `unknown function '${name}' (${known})${close ? `; did you mean '${close}'?` : ''}`;
}

/** Levenshtein distance: the fewest one-character insertions, deletions and substitutions that make a into b. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The name among `names` that `wanted` most likely meant: the same but for case, one that starts with it or it starts
 * with (user, userId), or one a couple of typos away; the fewest edits win. Property, event and column names alike.
 */
export function nearestName(wanted: string, names: Iterable<string>): string | undefined {
  const w = wanted.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const n = name.toLowerCase();
    const distance = editDistance(w, n);
    const close =
      n === w ||
      (Math.min(n.length, w.length) >= 3 && (n.startsWith(w) || w.startsWith(n))) ||
      (w.length >= 4 && distance <= 2);
    if (close && name !== wanted && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

// ---------------------------------------------------------------------------------------------------------------
// Printing: one canonical text per formula, used as the label of each term in results.

const PRECEDENCE: Record<ArithmeticOp, number> = { '+': 1, '-': 1, '*': 2, '/': 2 };

export function formatFormula(expr: Expr): string {
  switch (expr.kind) {
    case 'number':
      return formatNumber(expr.value);
    case 'negate':
      return `-${expr.operand.kind === 'binary' ? `(${formatFormula(expr.operand)})` : formatFormula(expr.operand)}`;
    case 'binary': {
      const p = PRECEDENCE[expr.op];
      const left = formatOperand(expr.left, p, false);
      const right = formatOperand(expr.right, p, true);
      return `${left} ${expr.op} ${right}`;
    }
    default:
      return formatTerm(expr);
  }
}

/** Right operands of equal precedence need parentheses: a - (b - c) is not (a - b) - c. */
function formatOperand(expr: Expr, parent: number, right: boolean): string {
  const text = formatFormula(expr);
  if (expr.kind !== 'binary') return text;
  const p = PRECEDENCE[expr.op];
  return p < parent || (right && p === parent) ? `(${text})` : text;
}

export function formatTerm(term: TermExpr): string {
  if (term.kind === 'retention') {
    const n = term.unit === 'week' ? term.days / 7 : term.days;
    const period = `${n} ${term.unit}${n === 1 ? '' : 's'}`;
    return `retention(${formatSelector(term.cohort)} -> ${formatSelector(term.returning)}, ${period})`;
  }
  const where = term.events.where ? ` where ${formatCondition(term.events.where, 0)}` : '';
  const event = formatEvent(term.events.event);
  switch (term.fn) {
    case 'count':
      return `count(${event}${where})`;
    case 'distinct':
      return `distinct(${formatField(term.field!)} of ${event}${where})`;
    default:
      return `${term.fn}(${event}.${formatField(term.field!)}${where})`;
  }
}

/** Plain decimal digits, as the language writes numbers: 1e21 prints as 1000000000000000000000, 1e-7 as 0.0000001. */
export function formatNumber(n: number): string {
  const text = String(n);
  const exp = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!exp) return text;
  const [, sign = '', whole = '', fraction = '', power = '0'] = exp;
  const digits = whole + fraction;
  const point = whole.length + Number(power);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function formatSelector(sel: EventSelector): string {
  return formatEvent(sel.event) + (sel.where ? ` where ${formatCondition(sel.where, 0)}` : '');
}

function formatEvent(event: string | null): string {
  return event === null ? 'any' : quote(event);
}

function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function formatField(field: FieldRef): string {
  if (field.in === 'event') return field.name;
  const text = field.path.join('.');
  // Keep the prefix when it is what makes this a property rather than an event field or a keyword.
  const first = field.path[0]!;
  const ambiguous = (field.path.length === 1 && EVENT_FIELDS.has(first)) || first === 'properties';
  return ambiguous || KEYWORDS.has(first) ? `properties.${text}` : text;
}

const CONDITION_PRECEDENCE = { or: 1, and: 2, not: 3, compare: 4 } as const;

function formatCondition(c: Condition, parent: number): string {
  const p = CONDITION_PRECEDENCE[c.kind];
  let text: string;
  if (c.kind === 'compare') {
    const value =
      typeof c.value === 'string'
        ? quote(c.value)
        : typeof c.value === 'number'
          ? formatNumber(c.value)
          : String(c.value);
    text = `${formatField(c.field)} ${c.op} ${value}`;
  } else if (c.kind === 'not') {
    text = `not ${formatCondition(c.operand, p)}`;
  } else {
    // Chains are left-nested, so only a right operand of the same kind needs parentheses.
    text = `${formatCondition(c.left, p)} ${c.kind} ${formatCondition(c.right, p + 0.5)}`;
  }
  return p < parent ? `(${text})` : text;
}

// ---------------------------------------------------------------------------------------------------------------
// What a formula reads

export interface FormulaReads {
  /** Quoted event names the formula reads, sorted. */
  events: string[];
  /** True when some term reads every event (`any`). */
  anyEvent: boolean;
  /** Property paths (dotted, without 'properties.') read by values, keys and where filters, sorted. */
  properties: string[];
}

export function formulaReads(formula: Formula): FormulaReads {
  const events = new Set<string>();
  const properties = new Set<string>();
  let anyEvent = false;
  const addSelector = (sel: EventSelector) => {
    if (sel.event === null) anyEvent = true;
    else events.add(sel.event);
    if (sel.where) conditionFields(sel.where, properties);
  };
  for (const term of formulaTerms(formula)) {
    if (term.kind === 'retention') {
      addSelector(term.cohort);
      addSelector(term.returning);
    } else {
      addSelector(term.events);
      if (term.field?.in === 'properties') properties.add(term.field.path.join('.'));
    }
  }
  return { events: [...events].sort(), anyEvent, properties: [...properties].sort() };
}

function conditionFields(c: Condition, out: Set<string>): void {
  if (c.kind === 'compare') {
    if (c.field.in === 'properties') out.add(c.field.path.join('.'));
  } else if (c.kind === 'not') {
    conditionFields(c.operand, out);
  } else {
    conditionFields(c.left, out);
    conditionFields(c.right, out);
  }
}

/** Every term in the formula, left to right (duplicates included). */
export function formulaTerms(formula: Formula): TermExpr[] {
  switch (formula.kind) {
    case 'number':
      return [];
    case 'negate':
      return formulaTerms(formula.operand);
    case 'binary':
      return [...formulaTerms(formula.left), ...formulaTerms(formula.right)];
    default:
      return [formula];
  }
}

/** The event selectors a term reads: a retention's cohort and returning events, an aggregate's events. */
export function termSelectors(term: TermExpr): EventSelector[] {
  return term.kind === 'retention' ? [term.cohort, term.returning] : [term.events];
}

/** Days after a period whose events a formula also needs (the largest retention offset), 0 without retention. */
export function formulaLookaheadDays(formula: Formula): number {
  return Math.max(0, ...formulaTerms(formula).map((t) => (t.kind === 'retention' ? t.days : 0)));
}

/**
 * k when the formula's value lies between 0 and k (or is no value) whatever the events: 1 for a share (a retention, or
 * a count or distinct count of some of the events its denominator counts: `count("X" where c) / count("X")`), 100 for
 * 100 times a share, and so on. Undefined says only that the formula does not tell.
 */
export function shareScale(formula: Formula): number | undefined {
  if (formula.kind === 'retention') return 1;
  if (formula.kind !== 'binary') return undefined;
  const { op, left, right } = formula;
  const factor = (e: Expr) => (e.kind === 'number' && e.value > 0 ? e.value : undefined);
  const scaled = (k: number | undefined, e: Expr) => {
    const s = k === undefined ? undefined : shareScale(e);
    return s === undefined || k === undefined ? undefined : k * s;
  };
  if (op === '*') return scaled(factor(left), right) ?? scaled(factor(right), left);
  if (op !== '/') return undefined;
  const divisor = factor(right);
  if (divisor !== undefined) return scaled(1 / divisor, left);
  // k * part / whole and part * k / whole parse as (k * part) / whole.
  if (left.kind === 'binary' && left.op === '*') {
    const k = factor(left.left) ?? factor(left.right);
    const part = factor(left.left) !== undefined ? left.right : left.left;
    return k !== undefined && isPartOf(part, right) ? k : undefined;
  }
  return isPartOf(left, right) ? 1 : undefined;
}

/** A count (or distinct count) of some of the events another one counts, so part / whole is a share. */
function isPartOf(part: Expr, whole: Expr): boolean {
  if (part.kind !== 'aggregate' || whole.kind !== 'aggregate' || part.fn !== whole.fn) return false;
  if (part.fn !== 'count' && part.fn !== 'distinct') return false;
  if (JSON.stringify(part.field) !== JSON.stringify(whole.field)) return false;
  return selectsSubset(part.events, whole.events);
}

/** Every event `part` selects, `whole` selects: the same event (or any), and whole's condition is one of part's. */
function selectsSubset(part: EventSelector, whole: EventSelector): boolean {
  if (whole.event !== null && part.event !== whole.event) return false;
  if (whole.where === undefined) return true;
  const condition = JSON.stringify(whole.where);
  const conjuncts = (c: Condition): Condition[] =>
    c.kind === 'and' ? [c, ...conjuncts(c.left), ...conjuncts(c.right)] : [c];
  return part.where !== undefined && conjuncts(part.where).some((c) => JSON.stringify(c) === condition);
}
