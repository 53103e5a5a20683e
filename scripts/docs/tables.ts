/**
 * Which option table goes where in the docs (`npm run docs`, scripts/docs.ts), kept free of I/O so that
 * test/unit/docs.test.ts can run the same check on the services' sources. The shared Kafka, PostgreSQL and
 * service options are listed once, in docs/configuration.md; each service's table holds only its own options
 * and the shared ones it takes differently (another flag, default or meaning).
 */

/** The fields of a service's option spec the docs show (services/shared/src/config/options.ts). */
export interface DocumentedOption {
  readonly flag?: string;
  readonly env?: string;
  readonly help: string;
  readonly defaultText?: string;
}

export type DocumentedOptions = Readonly<Record<string, DocumentedOption>>;

/** Every option set the docs document, straight from the services' option specs. */
export interface OptionSets {
  readonly kafka: DocumentedOptions;
  readonly database: DocumentedOptions;
  readonly service: DocumentedOptions;
  readonly processor: DocumentedOptions;
  readonly api: DocumentedOptions;
  readonly simulator: DocumentedOptions;
  readonly operator: DocumentedOptions;
  readonly dlqCommon: DocumentedOptions;
  readonly dlqList: DocumentedOptions;
  readonly dlqInspect: DocumentedOptions;
  readonly dlqReplay: DocumentedOptions;
}

/** One generated block: the options of its table and the shared sets it points to for the rest. */
export interface OptionBlock {
  readonly options: DocumentedOptions;
  readonly alsoReads: readonly SharedSet[];
}

interface SharedSet {
  readonly title: string;
  readonly link: string; // relative to the file the block is in
  readonly options: DocumentedOptions;
}

const sameOption = (a: DocumentedOption, b: DocumentedOption): boolean =>
  a.flag === b.flag && a.env === b.env && a.help === b.help && a.defaultText === b.defaultText;

/**
 * The options of `specs` not identical to one of `shared`, and the shared sets whose options `specs` takes
 * as they are (those its table leaves out and points to).
 */
export function ownOptions(specs: DocumentedOptions, shared: readonly SharedSet[]): OptionBlock {
  const from = (o: DocumentedOption): SharedSet | undefined =>
    shared.find((s) => Object.values(s.options).some((x) => sameOption(o, x)));
  const options = Object.fromEntries(Object.entries(specs).filter(([, o]) => from(o) === undefined));
  const used = new Set(Object.values(specs).map(from));
  return { options, alsoReads: shared.filter((s) => used.has(s)) };
}

/** Every generated block, by file (relative to the repository root) and marker name. */
export function optionBlocks(sets: OptionSets): Record<string, Record<string, OptionBlock>> {
  const shared = (prefix: string): SharedSet[] => [
    { title: 'Kafka', link: `${prefix}#kafka`, options: sets.kafka },
    { title: 'PostgreSQL', link: `${prefix}#postgresql`, options: sets.database },
    { title: 'every service', link: `${prefix}#every-service`, options: sets.service },
  ];
  const here = shared('');
  const dlqCommon = ownOptions(sets.dlqCommon, shared('configuration.md'));
  const perCommand = (specs: DocumentedOptions): OptionBlock => ({
    options: ownOptions(specs, [{ title: '', link: '', options: sets.dlqCommon }]).options,
    alsoReads: [],
  });
  return {
    'docs/configuration.md': {
      kafka: { options: sets.kafka, alsoReads: [] },
      database: { options: sets.database, alsoReads: [] },
      service: { options: sets.service, alsoReads: [] },
      processor: ownOptions(sets.processor, here),
      api: ownOptions(sets.api, here),
      simulator: ownOptions(sets.simulator, here),
      operator: ownOptions(sets.operator, here),
    },
    'docs/dlq.md': {
      'dlq-common': dlqCommon,
      'dlq-list': perCommand(sets.dlqList),
      'dlq-inspect': perCommand(sets.dlqInspect),
      'dlq-replay': perCommand(sets.dlqReplay),
    },
  };
}

/** A block as markdown: a line naming the shared sets it also reads, then its table. */
export function formatBlock(block: OptionBlock, formatTable: (o: DocumentedOptions) => string): string {
  const links = block.alsoReads.map((s) => `[${s.title}](${s.link})`);
  const also =
    links.length === 0
      ? ''
      : `Also reads the shared options of ${links.length > 1 ? `${links.slice(0, -1).join(', ')} and ${links.at(-1)}` : links[0]}.\n\n`;
  return `${also}${formatTable(block.options)}`;
}

/** `text` with each `<!-- options:NAME -->` … `<!-- /options:NAME -->` block replaced by its content. */
export function render(text: string, blocks: Readonly<Record<string, string>>, file: string): string {
  let out = text;
  for (const [name, content] of Object.entries(blocks)) {
    const re = new RegExp(`(<!-- options:${name} -->\\n)[\\s\\S]*?(<!-- /options:${name} -->)`);
    if (!re.test(out)) throw new Error(`${file} has no <!-- options:${name} --> block`);
    out = out.replace(re, (_m, open: string, close: string) => `${open}${content}\n${close}`);
  }
  return out;
}
