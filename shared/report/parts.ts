/**
 * The HTML pieces every report section is made of: numbers as people read them, a titled section, a
 * row of tiles, a definition list and the prospects table. Pure; every text goes through escapeHtml.
 */
import type { ReportProspect } from './render.ts';
import { escapeHtml } from './svg.ts';

export const percent = (value: number) =>
  `${(value * 100).toFixed(value > 0 && value < 0.01 ? 2 : value > 0 && value < 0.1 ? 1 : 0)}%`;
export const integer = (value: number) => Math.round(value).toLocaleString('en-US');

/** A section with its heading, a note under it and a body (a chart, a table: already HTML). */
export function section(heading: string, note: string, body: string, id: string): string {
  return `<section id="${id}"><h2>${escapeHtml(heading)}</h2><p class="note">${escapeHtml(note)}</p>${body}</section>`;
}

/** Big numbers with a label under each; `key` becomes a data attribute a reader (or a test) can find. */
export function tiles(items: readonly { label: string; value: string; key?: string }[]): string {
  const tile = ({ label, value, key }: (typeof items)[number]) =>
    `<div class="tile"${key === undefined ? '' : ` data-key="${escapeHtml(key)}"`}><div class="value">${escapeHtml(value)}</div><div class="label">${escapeHtml(label)}</div></div>`;
  return `<div class="tiles">${items.map(tile).join('')}</div>`;
}

export function definitionList(items: readonly [string, string][]): string {
  return `<dl class="config">${items.map(([term, text]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(text)}</dd>`).join('')}</dl>`;
}

/** A source with its page title under it. */
export function sourceCell(source: string, title: string): string {
  return `<td><span class="source">${escapeHtml(source)}</span>${title ? `<br><span class="title">${escapeHtml(title)}</span>` : ''}</td>`;
}

export function prospectTable(
  id: string,
  caption: string,
  prospects: readonly ReportProspect[],
  empty = 'No open prospects in the latest run.',
): string {
  if (prospects.length === 0) return `<p class="empty" id="${id}">${escapeHtml(empty)}</p>`;
  const rows = prospects
    .map(
      (p, index) =>
        `<tr><td class="num">${index + 1}</td>${sourceCell(p.source, p.title)}` +
        `<td class="num">${p.score.toFixed(1)}</td><td class="num">${p.domainAuthority}</td><td class="num">${p.matchedCount}</td>` +
        `<td>${escapeHtml(p.firstSeenDate)}</td><td class="num">${p.runsSeen}</td><td class="num">${p.daysOpen}</td></tr>`,
    )
    .join('');
  return (
    `<table id="${id}"><caption>${escapeHtml(caption)}</caption><thead><tr><th class="num">#</th><th>source</th><th class="num">score</th><th class="num">DA</th>` +
    `<th class="num">competitors</th><th>first seen</th><th class="num">runs</th><th class="num">days open</th></tr></thead><tbody>${rows}</tbody></table>`
  );
}
