/**
 * Athena (Trino) checks over the SQL linkgap ships, on the parse tree of dt-sql-parser's Trino
 * grammar: syntax, every table and column against the Glue tables, and the dialect rules no parser
 * catches because DuckDB and Trino both accept the text but answer differently (or Athena refuses
 * it at run time). Loaded once per test file: building the grammar takes about a second.
 */
import { TrinoSQL } from 'dt-sql-parser';
import { type GlueTable, queryableColumns } from './support.ts';

/** The slice of an antlr4ng parse tree node these checks read. */
interface Node {
  readonly children?: Node[] | null;
  getText(): string;
}

const trino = new TrinoSQL();

const kindOf = (node: Node): string => node.constructor.name;
const childrenOf = (node: Node): Node[] => node.children ?? [];

/** Every syntax error of one text, as `line:column message`; empty when Trino's grammar accepts it. */
export function trinoSyntaxErrors(sql: string): string[] {
  return trino.validate(sql).map((error) => `line ${error.startLine}:${error.startColumn} ${error.message}`);
}

/**
 * Functions the library may call: each one exists in both engines and gives the same answer for the
 * argument types the rules below allow. Anything else fails until someone checks both engines' docs.
 */
const SHARED_FUNCTIONS = new Set([
  'count',
  'sum',
  'avg',
  'min',
  'max',
  'round',
  'abs',
  'coalesce',
  'nullif',
  'substr',
  'lower',
  'upper',
  'length',
  'concat',
  'greatest',
  'least',
  'year',
  'quarter',
  'month',
  'date_diff',
]);

/** Functions known to differ, with the reason the message gives. */
const DIVERGENT_FUNCTIONS: Record<string, string> = {
  cardinality: 'Trino takes arrays and maps, DuckDB only maps',
  len: 'DuckDB only; Trino spells it cardinality',
  array_length: 'DuckDB only',
  list_contains: 'DuckDB only; Trino spells it contains',
  regexp_matches: 'DuckDB only; Trino spells it regexp_like',
  strftime: 'DuckDB only; Trino spells it format_datetime / date_format',
  date_trunc: 'returns TIMESTAMP in DuckDB for a DATE, DATE in Trino',
};

/** Functions that return NULL in Trino when any argument is NULL, and skip the NULL in DuckDB. */
const NULL_SENSITIVE_FUNCTIONS = new Set(['concat', 'greatest', 'least']);

const FRACTIONAL_TYPE = /^(double|real|decimal)/;

interface Relation {
  /** The lake table, or undefined for a CTE or subquery. */
  readonly table: GlueTable | undefined;
  readonly alias: string;
}

/** One SELECT ... FROM ... WHERE block with the relations it reads directly. */
interface Scope {
  readonly relations: readonly Relation[];
}

function descendants(node: Node, stopAt: (node: Node) => boolean, found: Node[] = []): Node[] {
  for (const child of childrenOf(node)) {
    found.push(child);
    if (!stopAt(child)) descendants(child, stopAt, found);
  }
  return found;
}

const isNestedQuery = (node: Node): boolean =>
  kindOf(node) === 'QuerySpecificationContext' || kindOf(node) === 'SubqueryRelationContext';

/** Peel expression wrappers (ExpressionContext, Predicated without predicate, defaults, parentheses). */
function unwrap(node: Node): Node {
  let current = node;
  for (let depth = 0; depth < 20; depth++) {
    const children = childrenOf(current);
    const kind = kindOf(current);
    if (kind === 'ParenthesizedExpressionContext') current = children[1] as Node;
    else if (
      children.length === 1 &&
      (kind === 'ExpressionContext' ||
        kind === 'PredicatedContext' ||
        kind === 'ValueExpressionDefaultContext')
    )
      current = children[0] as Node;
    else return current;
  }
  return current;
}

const functionNameOf = (call: Node): string => (childrenOf(call)[0]?.getText() ?? '').toLowerCase();
const argumentsOf = (call: Node): Node[] =>
  childrenOf(call).filter((child) => kindOf(child) === 'ExpressionContext');
const isColumnReference = (node: Node): boolean =>
  kindOf(node) === 'ColumnReferenceContext' || kindOf(node) === 'ColumnRefContext';
const isStringLiteral = (node: Node): boolean => kindOf(unwrap(node)) === 'StringLiteralContext';

class QueryChecker {
  readonly problems: string[] = [];
  private readonly cteNames: Set<string>;

  constructor(
    private readonly root: Node,
    private readonly tables: Readonly<Record<string, GlueTable>>,
  ) {
    this.cteNames = new Set(
      descendants(root, () => false)
        .filter((node) => kindOf(node) === 'NamedQueryContext')
        .map((node) => (childrenOf(node)[0]?.getText() ?? '').toLowerCase()),
    );
  }

  run(): string[] {
    const specs = descendants(this.root, () => false).filter(
      (node) => kindOf(node) === 'QuerySpecificationContext',
    );
    for (const spec of specs) this.checkSpecification(spec);
    return this.problems;
  }

  private checkSpecification(spec: Node): void {
    const own = descendants(spec, isNestedQuery);
    const scope: Scope = { relations: this.relationsOf(own) };
    this.checkCampaignPins(spec, scope);
    for (const node of own) {
      if (isColumnReference(node)) this.resolveColumn(node, scope);
      else if (kindOf(node) === 'ArithmeticBinaryContext') this.checkDivision(node, scope);
      else if (kindOf(node) === 'FunctionCallContext') this.checkFunction(node, scope);
    }
  }

  private relationsOf(own: Node[]): Relation[] {
    return own
      .filter((node) => kindOf(node) === 'AliasedRelationContext')
      .map((aliased) => {
        const [primary, ...rest] = childrenOf(aliased);
        const aliasNode = rest.find((child) => kindOf(child).endsWith('IdentifierContext'));
        const name = kindOf(primary as Node) === 'TableNameContext' ? (primary as Node).getText() : '';
        const lower = name.toLowerCase();
        if (name !== '' && !this.cteNames.has(lower) && this.tables[lower] === undefined)
          this.problems.push(`table ${name} is not a Glue table (${Object.keys(this.tables).join(', ')})`);
        const table = this.cteNames.has(lower) ? undefined : this.tables[lower];
        return { table, alias: (aliasNode?.getText() ?? name).toLowerCase() };
      });
  }

  /** The Glue table and type a column reference names, or undefined when it is not a lake column. */
  private resolveColumn(
    node: Node,
    scope: Scope,
  ): { table: GlueTable; type: string; name: string } | undefined {
    const parts = node.getText().toLowerCase().split('.');
    const column = parts.at(-1) as string;
    let relation: Relation | undefined;
    if (parts.length === 2) {
      relation = scope.relations.find((candidate) => candidate.alias === parts[0]);
      if (relation === undefined) {
        this.problems.push(`column ${node.getText()} names an alias no FROM clause defines`);
        return undefined;
      }
    } else if (scope.relations.length === 1) {
      relation = scope.relations[0];
    }
    if (relation?.table === undefined) return undefined;
    const found = queryableColumns(relation.table).find((candidate) => candidate.name === column);
    if (found === undefined) {
      this.problems.push(`column ${node.getText()} does not exist in Glue table ${relation.table.name}`);
      return undefined;
    }
    return { table: relation.table, type: found.type, name: found.name };
  }

  /** The static type of an expression when it is plain from the text, else undefined. */
  private typeOf(expression: Node, scope: Scope): string | undefined {
    const node = unwrap(expression);
    switch (kindOf(node)) {
      case 'CastContext':
        return (childrenOf(node)[4]?.getText() ?? '').toLowerCase();
      case 'TypeConstructorContext':
        return (childrenOf(node)[0]?.getText() ?? '').toLowerCase();
      case 'CurrentDateContext':
        return 'date';
      case 'NumericLiteralContext':
        return kindOf(childrenOf(node)[0] as Node) === 'IntegerLiteralContext' ? 'integer' : 'double';
      case 'FunctionCallContext':
        return functionNameOf(node) === 'avg' ? 'double' : undefined;
      default:
        return isColumnReference(node) ? this.resolveColumn(node, scope)?.type : undefined;
    }
  }

  private checkDivision(node: Node, scope: Scope): void {
    const [left, operator, right] = childrenOf(node);
    if (operator?.getText() !== '/') return;
    const fractional = [left, right].some((side) =>
      FRACTIONAL_TYPE.test(this.typeOf(side as Node, scope) ?? ''),
    );
    if (!fractional)
      this.problems.push(
        `integer division ${node.getText()}: Trino truncates integer / integer (5 / 2 = 2), DuckDB does not; CAST one side AS DOUBLE`,
      );
  }

  private checkFunction(call: Node, scope: Scope): void {
    const name = functionNameOf(call);
    const divergent = DIVERGENT_FUNCTIONS[name];
    if (divergent !== undefined) {
      this.problems.push(`function ${name}: ${divergent}`);
      return;
    }
    if (!SHARED_FUNCTIONS.has(name)) {
      this.problems.push(
        `function ${name} is not on the list of functions checked to behave alike in Trino and DuckDB (test/athena/trino-sql.ts)`,
      );
      return;
    }
    if (name === 'date_diff') this.checkDateDiff(call, scope);
    if (NULL_SENSITIVE_FUNCTIONS.has(name)) this.checkNullSafeArguments(call, scope);
  }

  private checkDateDiff(call: Node, scope: Scope): void {
    const [unit, from, to] = argumentsOf(call);
    if (unit === undefined || !isStringLiteral(unit) || unit.getText().toLowerCase() !== "'day'")
      this.problems.push(
        `date_diff unit ${unit?.getText() ?? '(none)'}: only 'day' counts the same in both engines (DuckDB counts boundaries, Trino whole units)`,
      );
    for (const argument of [from, to]) {
      const type = argument === undefined ? undefined : this.typeOf(argument, scope);
      if (type !== 'date')
        this.problems.push(
          `date_diff argument ${argument?.getText() ?? '(none)'} is ${type ?? 'of unknown type'}, not DATE: on timestamps Trino counts whole days, DuckDB day boundaries; CAST it AS DATE`,
        );
    }
  }

  /** An argument is NULL-safe when every column it reads outside coalesce() is a partition key (never NULL). */
  private checkNullSafeArguments(call: Node, scope: Scope): void {
    const name = functionNameOf(call);
    for (const argument of argumentsOf(call)) {
      const isCoalesce = (node: Node) =>
        kindOf(node) === 'FunctionCallContext' && functionNameOf(node) === 'coalesce';
      if (isCoalesce(unwrap(argument))) continue;
      const columns = descendants(argument, isCoalesce).filter(isColumnReference);
      const nullable = columns.filter((column) => {
        const resolved = this.resolveColumn(column, scope);
        return !resolved?.table.partitionKeys.some((key) => key.name === resolved.name);
      });
      if (nullable.length > 0)
        this.problems.push(
          `${name}(...) argument ${argument.getText()} may be NULL: Trino's ${name} returns NULL then, DuckDB's skips it; wrap it in coalesce()`,
        );
    }
  }

  /** Athena refuses a query that leaves an injected partition key (campaign_id) unpinned on any table. */
  private checkCampaignPins(spec: Node, scope: Scope): void {
    const where = childrenOf(spec).find((child) => kindOf(child) === 'WhereClauseContext');
    const pinned = new Set(
      where === undefined ? [] : conjunctsOf(childrenOf(where)[1] as Node).flatMap(pinnedColumn),
    );
    for (const relation of scope.relations) {
      if (relation.table === undefined) continue;
      const injected = relation.table.partitionKeys
        .map((key) => key.name)
        .filter((key) => relation.table?.parameters[`projection.${key}.type`] === 'injected');
      for (const key of injected) {
        const qualified = `${relation.alias}.${key}`;
        const unqualifiedCounts = scope.relations.length === 1 && pinned.has(key);
        if (!pinned.has(qualified) && !unqualifiedCounts)
          this.problems.push(
            `table ${relation.table.name} (as ${relation.alias}) does not pin ${key} with = or IN on literals in its WHERE clause: Athena refuses the query (CONSTRAINT_VIOLATION, injected projection)`,
          );
      }
    }
  }
}

function conjunctsOf(condition: Node): Node[] {
  const node = unwrap(condition);
  if (kindOf(node) !== 'AndContext') return [node];
  return childrenOf(node)
    .filter((child) => kindOf(child) !== 'TerminalNode')
    .flatMap(conjunctsOf);
}

/** The column a conjunct pins: `col = 'literal'` or `col IN ('a', 'b')`. */
function pinnedColumn(conjunct: Node): string[] {
  if (kindOf(conjunct) !== 'PredicatedContext') return [];
  const [value, predicate] = childrenOf(conjunct);
  if (value === undefined || predicate === undefined) return [];
  const column = unwrap(value);
  if (!isColumnReference(column)) return [];
  const parts = childrenOf(predicate);
  const pins =
    kindOf(predicate) === 'ComparisonContext'
      ? parts[0]?.getText() === '=' && parts[1] !== undefined && isStringLiteral(parts[1])
      : kindOf(predicate) === 'InListContext' &&
        !parts.some((part) => part.getText().toUpperCase() === 'NOT') &&
        parts.filter((part) => kindOf(part) === 'ExpressionContext').every(isStringLiteral);
  return pins ? [column.getText().toLowerCase()] : [];
}

/**
 * Everything in one text that would fail or answer differently in Athena: unknown tables and columns,
 * unpinned injected keys, integer division, date_diff off dates or with another unit, NULL-sensitive
 * functions on nullable columns, and functions not known to behave alike.
 */
export function athenaProblems(sql: string, tables: Readonly<Record<string, GlueTable>>): string[] {
  const syntax = trinoSyntaxErrors(sql);
  if (syntax.length > 0) return syntax;
  return [...new Set(new QueryChecker(trino.parse(sql) as unknown as Node, tables).run())];
}
