/**
 * Loads a catalogue edition: YAML (duplicate keys rejected), validated strictly, then checked as a
 * whole, so a bureau's correction that breaks the arithmetic fails on load, not in a report: every
 * source exists; a single item's best option and a multi item's options add up to the item's points;
 * items to their indicator, indicators to their dimension; bands cover [0, 1] without gaps; scenes
 * are the 16 business links once each; levels 1–4 ask for more at each step.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Decimal } from 'decimal.js';
import { rethrowInput } from '../../core/input.ts';
import { parseYamlValue } from '../../core/yaml.ts';
import { formatPath } from '../../gateway/config/errors.ts';
import { AssessmentError } from '../errors.ts';
import { type CatalogueFile, catalogueSchema, type Dimension, type Item, type Scene } from './schema.ts';

export const CATALOGUE_DIR = import.meta.dirname;

/** An item with the dimension and indicator it stands under. */
export interface CatalogueItem extends Item {
  dimension: Dimension['id'];
  indicator: string;
  indicatorName: string;
}

export interface Catalogue extends CatalogueFile {
  items: CatalogueItem[];
  scenes: Scene[];
  /** Whether answers can be scored (the 2022 edition keeps only its level bands). */
  scorable: boolean;
}

function invalid(file: string, message: string): AssessmentError {
  return new AssessmentError('SHUGAI_CATALOGUE_INVALID', `${file}: ${message}`);
}

export function parseCatalogue(file: string, text: string): Catalogue {
  const yaml = rethrowInput(
    () => parseYamlValue(text, file),
    (message) => new AssessmentError('SHUGAI_CATALOGUE_INVALID', message),
  );
  const parsed = catalogueSchema.safeParse(yaml);
  if (!parsed.success) {
    throw invalid(file, parsed.error.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('\n'));
  }
  const data = parsed.data;
  const items = data.dimensions.flatMap((d) =>
    d.indicators.flatMap((ind) =>
      ind.items.map((item) => ({ ...item, dimension: d.id, indicator: ind.id, indicatorName: ind.name })),
    ),
  );
  const catalogue: Catalogue = {
    ...data,
    items,
    scenes: data.sceneGroups.flatMap((g) => g.scenes),
    scorable: items.length > 0,
  };
  check(file, catalogue);
  return catalogue;
}

const sum = (values: readonly string[]) => values.reduce((a, v) => a.plus(v), new Decimal(0));

function check(file: string, c: Catalogue): void {
  const sources = new Set(c.sources.map((s) => s.id));
  const cited = [...c.dimensions, ...c.items, ...c.scenes, c.levelRule].map((e) => e.source);
  for (const s of cited) if (!sources.has(s)) throw invalid(file, `source ${s} is not listed under sources`);

  const itemIds = new Set<string>();
  for (const item of c.items) {
    if (itemIds.has(item.id)) throw invalid(file, `item ${item.id} appears twice`);
    itemIds.add(item.id);
    checkItem(file, item);
  }
  for (const d of c.dimensions) {
    for (const ind of d.indicators) {
      if (!sum(ind.items.map((i) => i.points)).eq(ind.points))
        throw invalid(file, `indicator ${ind.id}: its items do not add up to ${ind.points}`);
    }
    if (!sum(d.indicators.map((i) => i.points)).eq(d.points))
      throw invalid(file, `dimension ${d.id}: its indicators do not add up to ${d.points}`);
  }
  if (c.scorable && !sum(c.dimensions.map((d) => d.points)).eq(100))
    throw invalid(file, 'the dimensions do not add up to 100');

  const names = c.scenes.map((s) => s.name);
  if (new Set(names).size !== names.length) throw invalid(file, 'a scene appears twice');
  if (c.scorable && names.length !== 16) throw invalid(file, `expected the 16 scenes, found ${names.length}`);

  c.levelRule.levels.forEach((l, i) => {
    if (l.level !== i + 1) throw invalid(file, `levelRule.levels[${i}] must be level ${i + 1}`);
    if (c.scorable && (l.scenes === undefined || l.constrainingScenes === undefined))
      throw invalid(file, `level ${l.level}: an edition with scenes needs scenes and constrainingScenes`);
    const before = c.levelRule.levels[i - 1];
    if (before && new Decimal(l.minScore).lte(before.minScore))
      throw invalid(file, `level ${l.level}: minScore must be above level ${before.level}'s`);
  });
}

function checkItem(file: string, item: Item): void {
  const where = `item ${item.id}`;
  const ids = item.options.map((o) => o.id);
  if (new Set(ids).size !== ids.length) throw invalid(file, `${where}: an option id appears twice`);
  if (item.type === 'multi') {
    if (item.rate) throw invalid(file, `${where}: a rate item is a single choice`);
    const counted = item.options.filter((o) => !o.exclusive).map((o) => o.points);
    if (!sum(counted).eq(item.points))
      throw invalid(file, `${where}: its options add up to ${sum(counted)}, not ${item.points}`);
    return;
  }
  const best = Decimal.max(...item.options.map((o) => o.points));
  if (!best.eq(item.points)) throw invalid(file, `${where}: its best option is ${best}, not ${item.points}`);
  if (item.options.some((o) => o.exclusive)) throw invalid(file, `${where}: exclusive is for multi items`);
  const bands = item.options.map((o) => o.band);
  if (!item.rate) {
    if (bands.some((b) => b !== undefined)) throw invalid(file, `${where}: bands need a rate`);
    return;
  }
  // Bands in order: the first closed at 0, each next open where the last closed, the last at 1.
  let edge = new Decimal(0);
  bands.forEach((b, i) => {
    if (!b) throw invalid(file, `${where}: option ${ids[i]} has no band`);
    const lower = i === 0 ? b.atLeast : b.moreThan;
    if (lower === undefined || !edge.eq(lower))
      throw invalid(
        file,
        `${where}: band of ${ids[i]} must start ${i === 0 ? 'atLeast 0' : `moreThan ${edge}`}`,
      );
    edge = new Decimal(b.atMost);
  });
  if (!edge.eq(1)) throw invalid(file, `${where}: the last band must end atMost 1`);
}

/** Every edition in the catalogue folder, by edition. */
export function loadCatalogues(dir: string = CATALOGUE_DIR): Map<string, Catalogue> {
  const editions = new Map<string, Catalogue>();
  for (const f of readdirSync(dir)
    .filter((n) => n.endsWith('.yaml'))
    .sort()) {
    const file = path.join(dir, f);
    const c = parseCatalogue(file, readFileSync(file, 'utf8'));
    if (editions.has(c.edition)) throw invalid(file, `edition ${c.edition} is defined twice`);
    editions.set(c.edition, c);
  }
  return editions;
}

export function loadCatalogue(edition: string, dir: string = CATALOGUE_DIR): Catalogue {
  const c = loadCatalogues(dir).get(edition);
  if (!c) {
    throw new AssessmentError(
      'SHUGAI_EDITION_UNKNOWN',
      `edition ${edition} is not in the catalogue (known: ${[...loadCatalogues(dir).keys()].join(', ')})`,
    );
  }
  return c;
}
