/**
 * The languages the chunker understands: file extensions, the npm package that provides each
 * grammar, and which syntax nodes are definitions worth a chunk, an outline line and a place in the
 * repository map. Node type names come from each grammar's node-types.json.
 */
import type { ChunkKind } from '../types.js';

export interface LanguageSpec {
  id: string;
  /** The npm package, and the property holding the language when one package has several. */
  grammar: { package: string; property?: string; wasm?: string };
  /** Node type → what kind of definition it is. */
  definitions: Record<string, ChunkKind>;
  /** Node types that only wrap a definition (export, decorators, templates): classified by their inner one. */
  wrappers?: string[];
  /** Node types whose children are members (class bodies, namespaces), searched one level deeper. */
  containers?: string[];
}

const JS_DEFS: Record<string, ChunkKind> = {
  function_declaration: 'function',
  generator_function_declaration: 'function',
  class_declaration: 'class',
  abstract_class_declaration: 'class',
  interface_declaration: 'interface',
  type_alias_declaration: 'type',
  enum_declaration: 'enum',
  internal_module: 'module',
  module: 'module',
  method_definition: 'method',
  method_signature: 'method',
  abstract_method_signature: 'method',
  public_field_definition: 'variable',
  lexical_declaration: 'variable',
  variable_declaration: 'variable',
};
const JS = {
  definitions: JS_DEFS,
  wrappers: ['export_statement'],
  containers: ['class_body', 'interface_body', 'statement_block'],
};

const C_DEFS: Record<string, ChunkKind> = {
  function_definition: 'function',
  struct_specifier: 'class',
  union_specifier: 'class',
  enum_specifier: 'enum',
  type_definition: 'type',
  preproc_function_def: 'function',
};

export const LANGUAGES: LanguageSpec[] = [
  { id: 'typescript', grammar: { package: 'tree-sitter-typescript', property: 'typescript' }, ...JS },
  { id: 'tsx', grammar: { package: 'tree-sitter-typescript', property: 'tsx' }, ...JS },
  { id: 'javascript', grammar: { package: 'tree-sitter-javascript' }, ...JS },
  {
    id: 'python',
    grammar: { package: 'tree-sitter-python' },
    definitions: { function_definition: 'function', class_definition: 'class' },
    wrappers: ['decorated_definition'],
    containers: ['block'],
  },
  {
    id: 'go',
    grammar: { package: 'tree-sitter-go' },
    definitions: {
      function_declaration: 'function',
      method_declaration: 'method',
      type_declaration: 'type',
      const_declaration: 'variable',
      var_declaration: 'variable',
    },
  },
  {
    id: 'rust',
    grammar: { package: 'tree-sitter-rust' },
    definitions: {
      function_item: 'function',
      function_signature_item: 'function',
      struct_item: 'class',
      enum_item: 'enum',
      union_item: 'class',
      trait_item: 'interface',
      impl_item: 'class',
      mod_item: 'module',
      type_item: 'type',
      const_item: 'variable',
      static_item: 'variable',
      macro_definition: 'function',
    },
    containers: ['declaration_list'],
  },
  {
    id: 'java',
    grammar: { package: 'tree-sitter-java' },
    definitions: {
      class_declaration: 'class',
      interface_declaration: 'interface',
      enum_declaration: 'enum',
      record_declaration: 'class',
      annotation_type_declaration: 'interface',
      method_declaration: 'method',
      constructor_declaration: 'method',
    },
    containers: ['class_body', 'interface_body', 'enum_body', 'enum_body_declarations'],
  },
  {
    id: 'c',
    grammar: { package: 'tree-sitter-c' },
    definitions: C_DEFS,
    containers: ['field_declaration_list'],
  },
  {
    id: 'cpp',
    grammar: { package: 'tree-sitter-cpp' },
    definitions: { ...C_DEFS, class_specifier: 'class', namespace_definition: 'module' },
    wrappers: ['template_declaration'],
    containers: ['field_declaration_list', 'declaration_list'],
  },
  {
    id: 'csharp',
    grammar: { package: 'tree-sitter-c-sharp' },
    definitions: {
      namespace_declaration: 'module',
      file_scoped_namespace_declaration: 'module',
      class_declaration: 'class',
      struct_declaration: 'class',
      record_declaration: 'class',
      interface_declaration: 'interface',
      enum_declaration: 'enum',
      method_declaration: 'method',
      constructor_declaration: 'method',
      property_declaration: 'variable',
    },
    containers: ['declaration_list'],
  },
  {
    id: 'ruby',
    grammar: { package: 'tree-sitter-ruby' },
    definitions: {
      method: 'method',
      singleton_method: 'method',
      class: 'class',
      module: 'module',
      singleton_class: 'class',
    },
    containers: ['body_statement'],
  },
  {
    id: 'php',
    grammar: { package: 'tree-sitter-php', property: 'php' },
    definitions: {
      function_definition: 'function',
      class_declaration: 'class',
      interface_declaration: 'interface',
      trait_declaration: 'class',
      enum_declaration: 'enum',
      method_declaration: 'method',
      namespace_definition: 'module',
    },
    containers: ['declaration_list', 'compound_statement'],
  },
  {
    id: 'kotlin',
    grammar: { package: '@tree-sitter-grammars/tree-sitter-kotlin' },
    definitions: {
      function_declaration: 'function',
      class_declaration: 'class',
      object_declaration: 'class',
      property_declaration: 'variable',
    },
    containers: ['class_body', 'enum_class_body'],
  },
  {
    id: 'swift',
    grammar: { package: '@repomix/tree-sitter-wasms', wasm: 'out/tree-sitter-swift.wasm' },
    definitions: {
      function_declaration: 'function',
      class_declaration: 'class',
      protocol_declaration: 'interface',
      init_declaration: 'method',
      protocol_function_declaration: 'method',
      typealias_declaration: 'type',
      property_declaration: 'variable',
    },
    containers: ['class_body', 'protocol_body', 'enum_class_body'],
  },
  { id: 'bash', grammar: { package: 'tree-sitter-bash' }, definitions: { function_definition: 'function' } },
  {
    id: 'css',
    grammar: { package: 'tree-sitter-css' },
    definitions: { rule_set: 'section', media_statement: 'section', keyframes_statement: 'section' },
  },
  { id: 'html', grammar: { package: 'tree-sitter-html' }, definitions: {} },
  {
    id: 'json',
    grammar: { package: 'tree-sitter-json' },
    definitions: { pair: 'section' },
    containers: ['object'],
  },
  {
    id: 'yaml',
    grammar: { package: '@tree-sitter-grammars/tree-sitter-yaml' },
    definitions: { block_mapping_pair: 'section' },
    containers: ['block_mapping', 'block_node', 'document', 'stream'],
  },
  {
    id: 'toml',
    grammar: { package: '@tree-sitter-grammars/tree-sitter-toml' },
    definitions: { table: 'section', table_array_element: 'section' },
  },
  {
    id: 'markdown',
    grammar: { package: '@tree-sitter-grammars/tree-sitter-markdown' },
    definitions: { section: 'section' },
    containers: ['section'],
  },
];

const BY_EXTENSION: Record<string, string> = {
  ts: 'typescript',
  mts: 'typescript',
  cts: 'typescript',
  tsx: 'tsx',
  js: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  jsx: 'javascript',
  py: 'python',
  pyi: 'python',
  go: 'go',
  rs: 'rust',
  java: 'java',
  c: 'c',
  h: 'c',
  cc: 'cpp',
  cpp: 'cpp',
  cxx: 'cpp',
  hpp: 'cpp',
  hh: 'cpp',
  hxx: 'cpp',
  cu: 'cpp',
  cuh: 'cpp',
  cs: 'csharp',
  rb: 'ruby',
  php: 'php',
  kt: 'kotlin',
  kts: 'kotlin',
  swift: 'swift',
  sh: 'bash',
  bash: 'bash',
  zsh: 'bash',
  css: 'css',
  html: 'html',
  htm: 'html',
  json: 'json',
  jsonc: 'json',
  yml: 'yaml',
  yaml: 'yaml',
  toml: 'toml',
  md: 'markdown',
  markdown: 'markdown',
};
const BY_NAME: Record<string, string> = {
  Rakefile: 'ruby',
  Gemfile: 'ruby',
  '.bashrc': 'bash',
  '.zshrc': 'bash',
};

const BY_ID = new Map(LANGUAGES.map((l) => [l.id, l]));

export function languageOf(path: string): LanguageSpec | undefined {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  const id = BY_NAME[name] ?? (dot > 0 ? BY_EXTENSION[name.slice(dot + 1).toLowerCase()] : undefined);
  return id ? BY_ID.get(id) : undefined;
}

export function languageById(id: string): LanguageSpec | undefined {
  return BY_ID.get(id);
}
