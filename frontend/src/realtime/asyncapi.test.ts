/**
 * The web app's socket types against the protocol document, docs/asyncapi.yaml (the server
 * is held to the same document by tunewave/tests/test_asyncapi.py).
 *
 * TypeScript's own checker reads the frame unions (`ServerEvent` and `ClientFrame` in
 * events.ts, `NotificationEvent` in notificationSocket.ts), so intersections and imported
 * API types count as the compiler sees them. For each frame type:
 * - room socket: the app's frame types are exactly the document's, both ways;
 * - server frames: every field the app reads is documented, a field the app treats as always
 *   there is one the document says the server always sends, and every value of a documented
 *   enum is one the app's literal union knows;
 * - client frames: every field the app sends is documented, and every field the server
 *   requires the app always sends.
 */
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

type Schema = {
  $ref?: string;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  anyOf?: Schema[];
};
type Operation = { action: "send" | "receive"; channel: { $ref: string }; messages: { $ref: string }[] };
type Doc = {
  channels: Record<string, unknown>;
  operations: Record<string, Operation>;
  components: { messages: Record<string, { name: string; payload: Schema }> };
};

const here = (path: string) => decodeURIComponent(new URL(path, import.meta.url).pathname);
const DOC_PATH = here("../../../docs/asyncapi.yaml");

function readText(path: string): string {
  const text = ts.sys.readFile(path);
  if (text === undefined) throw new Error(`cannot read ${path}`);
  return text;
}

const doc = parse(readText(DOC_PATH)) as Doc;

function resolve<T>(ref: string): T {
  let node: unknown = doc;
  for (const part of ref.replace(/^#\//, "").split("/")) node = (node as Record<string, unknown>)[part];
  if (node === undefined) throw new Error(`${ref} does not resolve`);
  return node as T;
}

function deref(schema: Schema): Schema {
  return schema.$ref ? deref(resolve<Schema>(schema.$ref)) : schema;
}

/** Frame type → payload schema, for what the server sends or receives on a channel. */
function documented(channel: string, action: "send" | "receive"): Map<string, Schema> {
  const found = new Map<string, Schema>();
  for (const operation of Object.values(doc.operations)) {
    if (operation.channel.$ref !== `#/channels/${channel}` || operation.action !== action) continue;
    for (const ref of operation.messages) {
      const message = deref(resolve<Schema>(ref.$ref)) as unknown as { name: string; payload: Schema };
      found.set(message.name, deref(message.payload));
    }
  }
  return found;
}

// --- the app's types, as the compiler sees them -----------------------------------------

const program = ts.createProgram([here("./events.ts"), here("./notificationSocket.ts")], {
  strict: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  lib: ["lib.es2023.d.ts", "lib.dom.d.ts"],
  types: [],
  skipLibCheck: true,
  noEmit: true,
});
const checker = program.getTypeChecker();

interface Field {
  optional: boolean;
  literals: string[] | null; // the string literals of a literal-union type, else null
}

function literalsOf(type: ts.Type): string[] | null {
  const parts = type.isUnion() ? type.types : [type];
  const values: string[] = [];
  for (const part of parts) {
    if (part.isStringLiteral()) values.push(part.value);
    else if (!(part.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null))) return null;
  }
  return values.length ? values : null;
}

/** Frame type → its fields, for each member of the exported union `name` in `file`. */
function frames(file: string, name: string): Map<string, Map<string, Field>> {
  const source = program.getSourceFile(here(file));
  if (!source) throw new Error(`${file} is not in the program`);
  const module = checker.getSymbolAtLocation(source);
  const symbol = module && checker.getExportsOfModule(module).find((s) => s.name === name);
  if (!symbol) throw new Error(`${file} exports no ${name}`);
  const union = checker.getDeclaredTypeOfSymbol(symbol);
  const members = union.isUnion() ? union.types : [union];
  const found = new Map<string, Map<string, Field>>();
  for (const member of members) {
    const fields = new Map<string, Field>();
    for (const property of checker.getPropertiesOfType(member)) {
      const type = checker.getTypeOfSymbol(property);
      fields.set(property.name, {
        optional: (property.flags & ts.SymbolFlags.Optional) !== 0,
        literals: literalsOf(type),
      });
    }
    const kinds = fields.get("type")?.literals;
    if (!kinds || kinds.length !== 1) throw new Error(`${name}: a member without one literal \`type\``);
    found.set(kinds[0]!, fields);
  }
  return found;
}

const sorted = (values: Iterable<string>) => [...values].sort();

// --- the checks ----------------------------------------------------------------------

function checkServerFrames(app: Map<string, Map<string, Field>>, spec: Map<string, Schema>) {
  const problems: string[] = [];
  for (const [kind, fields] of app) {
    const payload = spec.get(kind);
    if (!payload) continue; // the type sets are compared on their own
    const properties = payload.properties ?? {};
    const required = new Set(payload.required ?? []);
    for (const [field, info] of fields) {
      const schema = properties[field];
      if (!schema) {
        problems.push(`${kind}.${field}: the app reads a field the document does not have`);
        continue;
      }
      if (!info.optional && !required.has(field)) {
        problems.push(`${kind}.${field}: required in the app's type, optional in the document`);
      }
      const options = (deref(schema).anyOf ?? [deref(schema)]).map(deref);
      const values = options.flatMap((option) => option.enum ?? (option.const !== undefined ? [option.const] : []));
      if (info.literals && values.length) {
        for (const value of values) {
          if (!info.literals.includes(String(value))) problems.push(`${kind}.${field}: the app does not know ${String(value)}`);
        }
      }
    }
  }
  return problems;
}

function checkClientFrames(app: Map<string, Map<string, Field>>, spec: Map<string, Schema>) {
  const problems: string[] = [];
  for (const [kind, fields] of app) {
    const payload = spec.get(kind);
    if (!payload) continue;
    const properties = payload.properties ?? {};
    for (const field of fields.keys()) {
      if (!properties[field]) problems.push(`${kind}.${field}: the app sends a field the document does not have`);
    }
    for (const field of payload.required ?? []) {
      const info = fields.get(field);
      if (!info || info.optional) problems.push(`${kind}.${field}: the server requires it; the app may leave it out`);
    }
  }
  return problems;
}

describe("the web app's socket types match docs/asyncapi.yaml", () => {
  it("room socket: the server's frames", () => {
    const app = frames("./events.ts", "ServerEvent");
    const spec = documented("room", "send");
    expect(sorted(app.keys())).toEqual(sorted(spec.keys()));
    expect(checkServerFrames(app, spec)).toEqual([]);
  });

  it("room socket: the client's frames", () => {
    const app = frames("./events.ts", "ClientFrame");
    const spec = documented("room", "receive");
    expect(sorted(app.keys())).toEqual(sorted(spec.keys()));
    expect(checkClientFrames(app, spec)).toEqual([]);
  });

  it("notification socket: every frame the app handles is documented", () => {
    const app = frames("./notificationSocket.ts", "NotificationEvent");
    const spec = documented("notifications", "send");
    // The app never pings and sends nothing the socket could refuse: these it may ignore.
    const ignored = ["error", "pong"];
    expect(sorted(app.keys())).toEqual(sorted([...spec.keys()].filter((kind) => !ignored.includes(kind))));
    expect(checkServerFrames(app, spec)).toEqual([]);
  });

  it("the checks notice a mismatch", () => {
    const spec = new Map<string, Schema>([
      ["x", { required: ["type"], properties: { type: { const: "x" }, status: { enum: ["on", "off"] } } }],
    ]);
    const field = (optional: boolean, literals: string[] | null = null): Field => ({ optional, literals });
    const app = new Map([
      ["x", new Map([["type", field(false, ["x"])], ["status", field(false, ["on"])], ["extra", field(true)]])],
    ]);
    expect(checkServerFrames(app, spec)).toEqual([
      "x.status: required in the app's type, optional in the document",
      "x.status: the app does not know off",
      "x.extra: the app reads a field the document does not have",
    ]);
    expect(checkClientFrames(new Map([["x", new Map([["type", field(true)]])]]), spec)).toEqual([
      "x.type: the server requires it; the app may leave it out",
    ]);
  });
}, 60_000);
