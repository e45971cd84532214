// A card in a chat bubble: the assistant's balance, transactions, spending and confirmation
// cards (title, rows, total, footer; every display string comes formatted from the server).

import { h } from "./dom.js";
import { t, hasText, language } from "./i18n.js";

const TONES = new Set(["in", "out"]);
const CARD_LANGUAGES = new Set(["de", "en"]);
let cardCount = 0;

/** What a card is called: its own title, else the name of its type. */
export function cardName(card) {
  if (typeof card.title === "string" && card.title) return card.title;
  const key = `card.${card.type}`;
  return hasText(key) ? t(key) : t("card.generic");
}

/** An `article` named by its title, so a screen reader announces "Balance, article". */
export function renderCard(card) {
  const titleId = `card-title-${++cardCount}`;
  return h(
    "article",
    {
      class: `card card-${String(card.type || "generic").replace(/[^a-z_]/g, "")}`,
      "aria-labelledby": titleId,
      // The assistant answers in the language the person wrote in, which may not be the
      // interface's: screen readers then pronounce its words right.
      lang: CARD_LANGUAGES.has(card.language) ? card.language : null,
    },
    h("p", { class: "card-title", id: titleId }, cardName(card)),
    Array.isArray(card.rows) && card.rows.length ? rowList(card) : null,
    card.total && typeof card.total === "object"
      ? h(
          "p",
          { class: "card-total" },
          h("span", {}, card.total.label || ""),
          h("strong", { class: "card-figure" }, card.total.value || ""),
        )
      : null,
    typeof card.footer === "string" && card.footer ? h("p", { class: "card-footer" }, card.footer) : null,
  );
}

function rowList(card) {
  const shares = card.type === "spending" ? spendingShares(card.rows) : null;
  return h(
    // role=list: `list-style: none` makes some browsers drop the list semantics.
    "ul",
    { class: "card-rows", role: "list" },
    card.rows.map((row, index) => cardRow(row || {}, shares?.[index])),
  );
}

function cardRow(row, share) {
  const tone = TONES.has(row.tone) ? row.tone : null;
  const hasFigures = Boolean(row.value || row.secondary);
  return h(
    "li",
    { class: `card-line${tone ? ` tone-${tone}` : ""}` },
    h(
      "span",
      { class: "line-main" },
      h("span", { class: "line-label" }, row.label || ""),
      row.detail ? h("span", { class: "line-detail" }, row.detail) : null,
    ),
    hasFigures
      ? h(
          "span",
          { class: "line-figures" },
          row.value ? h("span", { class: "line-value card-figure" }, row.value) : null,
          row.secondary ? h("span", { class: "line-secondary" }, row.secondary) : null,
        )
      : null,
    // Colour alone tells nobody who cannot see it which way the money went.
    tone ? h("span", { class: "sr-only", lang: language() }, t(`card.tone.${tone}`)) : null,
    share === undefined || share === null
      ? null
      : h("span", { class: "line-bar", "aria-hidden": "true", style: { "--share": `${share}%` } }),
  );
}

/** Each spending row's part of the largest one in its currency, in percent, for a bar
 * under the row. The raw amounts only size the bars; the figures shown are the server's. */
function spendingShares(rows) {
  const sizes = rows.map((row) => Math.abs(Number(row?.amount)));
  if (!sizes.every((size) => Number.isFinite(size))) return null;
  const largest = new Map();
  rows.forEach((row, index) => {
    largest.set(row.currency, Math.max(largest.get(row.currency) ?? 0, sizes[index]));
  });
  return rows.map((row, index) => {
    const top = largest.get(row.currency);
    return top > 0 ? Math.max(2, Math.round((sizes[index] / top) * 100)) : null;
  });
}
