// The KPI formula language: tokenizer, recursive-descent parser, canonical printer and read-set helper.
// Formulas come from config files, so they are parsed into an AST and never eval'ed.

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
    `unexpected character '${src[i]}' (operators are + - * / and comparisons == != < <= > >=)`,
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

/** Parses a formula into its AST; throws FormulaError saying what was expected where. */
export function parseFormula(src: string): Formula {
  const parser = new Parser(src, tokenize(src));
  return parser.formula();
}

class Parser {
  readonly src: string;
  readonly tokens: Token[];
  i = 0;

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
      left = { kind: 'binary', op: op.text as ArithmeticOp, left, right: this.multiplicative(), position: op.pos };
    }
    return left;
  }

  multiplicative(): Expr {
    let left = this.unary();
    while (this.isOp('*') || this.isOp('/')) {
      const op = this.next();
      left = { kind: 'binary', op: op.text as ArithmeticOp, left, right: this.unary(), position: op.pos };
    }
    return left;
  }

  unary(): Expr {
    if (this.isOp('-')) {
      const op = this.next();
      return { kind: 'negate', operand: this.unary(), position: op.pos };
    }
    return this.primary();
  }

  primary(): Expr {
    const t = this.peek();
    if (t.kind === 'number') {
      this.next();
      return { kind: 'number', value: Number(t.text), position: t.pos };
    }
    if (this.isOp('(')) {
      this.next();
      const inner = this.additive();
      this.expectOp(')', `')' to close the '(' at column ${t.pos + 1}`);
      return inner;
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
    const term = this.callBody(fn, name.pos);
    return term;
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
    this.expectOp(')', "')' after the period");
    const perWeek = unit.text.startsWith('week');
    const days = Number(n.text) * (perWeek ? 7 : 1);
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
      this.next();
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }

  and(): Condition {
    let left = this.not();
    while (this.isIdent('and')) {
      this.next();
      left = { kind: 'and', left, right: this.not() };
    }
    return left;
  }

  not(): Condition {
    if (this.isIdent('not')) {
      this.next();
      return { kind: 'not', operand: this.not() };
    }
    if (this.isOp('(')) {
      const open = this.next();
      const inner = this.or();
      if (!this.isOp(')')) this.fail(`'and', 'or' or ')' to close the '(' at column ${open.pos + 1}`);
      this.next();
      return inner;
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
      return negative ? -Number(n.text) : Number(n.text);
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

function editDistance(a: string, b: string): number {
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

// ---------------------------------------------------------------------------------------------------------------
// Printing: one canonical text per formula, used as the label of each term in results.

const PRECEDENCE: Record<ArithmeticOp, number> = { '+': 1, '-': 1, '*': 2, '/': 2 };

export function formatFormula(expr: Expr): string {
  switch (expr.kind) {
    case 'number':
      return String(expr.value);
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
    const value = typeof c.value === 'string' ? quote(c.value) : String(c.value);
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

/** Days after a period whose events a formula also needs (the largest retention offset), 0 without retention. */
export function formulaLookaheadDays(formula: Formula): number {
  return Math.max(0, ...formulaTerms(formula).map((t) => (t.kind === 'retention' ? t.days : 0)));
}
