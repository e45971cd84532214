// The person's linked accounts with balances and recent transactions; right after linking
// it waits for the first sync to bring them.

import { get } from "./api.js";
import { h, clear } from "./dom.js";
import { t, formatMoney, formatDate } from "./i18n.js";
import { errorText, showPage } from "./ui.js";

const POLL_MS = 1000;
const POLL_LIMIT = 60;
const BALANCE_PREFERENCE = ["closingBooked", "interimBooked", "expected", "interimAvailable"];

export function renderAccounts(pane, app, banner) {
  const content = h("div", { "aria-busy": "true" });
  showPage(pane, app.paneHeader(t("accounts.title")), banner, content);
  let disposed = false;
  let timer = null;
  let polls = 0;

  async function load() {
    try {
      const [connections, accounts, banks] = await Promise.all([
        get("/connections"),
        get("/accounts"),
        app.banksById(),
      ]);
      if (disposed) return;
      const syncing = connections.some(
        (c) => c.status === "valid" && !c.lastSyncedAt && !c.lastSyncError,
      );
      const transactions = accounts.length ? await get("/transactions?limit=10") : [];
      if (disposed) return;
      show(accounts, transactions, banks, syncing && !accounts.length);
      if (syncing && polls++ < POLL_LIMIT) timer = setTimeout(load, POLL_MS);
    } catch (failure) {
      if (!disposed) clear(content, h("p", { class: "form-error", role: "alert" }, errorText(failure)));
    }
  }

  function show(accounts, transactions, banks, waiting) {
    content.removeAttribute("aria-busy");
    if (!accounts.length) {
      clear(
        content,
        waiting
          ? h("p", { class: "loading", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), t("accounts.loading"))
          : h(
              "div",
              { class: "empty-state" },
              h("p", {}, t("accounts.none")),
              h("a", { href: "#/link", class: "button primary" }, t("nav.link")),
            ),
      );
      return;
    }
    const names = Object.fromEntries(accounts.map((a) => [a.id, a.name || a.product || ""]));
    clear(
      content,
      h(
        "ul",
        { class: "account-grid", role: "list", "aria-label": t("accounts.title") },
        accounts.map((account) => accountCard(account, banks[account.bankId])),
      ),
      transactions.length ? transactionTable(transactions, names) : null,
    );
  }

  load();
  return {
    dispose() {
      disposed = true;
      clearTimeout(timer);
    },
  };
}

function preferredBalance(balances) {
  for (const type of BALANCE_PREFERENCE) {
    const found = balances.find((balance) => balance.balanceType === type);
    if (found) return found;
  }
  return balances[0];
}

function accountCard(account, bank) {
  const balance = preferredBalance(account.balances || []);
  const name = account.name || account.product || t(`kind.${account.kind}`);
  return h(
    "li",
    {
      class: "account",
      style: bank ? { "--bank": bank.primaryColor, "--bank-accent": bank.accentColor } : null,
      "aria-label": name,
    },
    h("p", { class: "account-bank" }, bank ? bank.name : account.bankId),
    h("p", { class: "account-name" }, name),
    h("p", { class: "account-number muted" }, account.iban || account.maskedPan || t(`kind.${account.kind}`)),
    balance
      ? h(
          "p",
          { class: "account-balance" },
          h("span", { class: "sr-only" }, `${t("accounts.balance")}: `),
          formatMoney(balance.amount.amount, balance.amount.currency),
        )
      : null,
  );
}

function transactionTable(transactions, accountNames) {
  return h(
    "section",
    { class: "recent", "aria-labelledby": "recent-title" },
    h("h2", { id: "recent-title" }, t("accounts.recent")),
    h(
      "table",
      { class: "table", "aria-label": t("accounts.recentTable") },
      h(
        "thead",
        {},
        h("tr", {}, h("th", { scope: "col" }, t("accounts.date")), h("th", { scope: "col" }, t("accounts.who")), h("th", { scope: "col", class: "num" }, t("accounts.amount"))),
      ),
      h(
        "tbody",
        {},
        transactions.map((transaction) => {
          const when = transaction.bookingDate || transaction.valueDate;
          const amount = transaction.amount.amount;
          return h(
            "tr",
            {},
            h("td", {}, when ? formatDate(when) : t("accounts.pending")),
            h(
              "td",
              {},
              transaction.counterpartyName || transaction.merchant || transaction.remittance || "",
              h("span", { class: "muted small-print" }, accountNames[transaction.accountId] || ""),
            ),
            h(
              "td",
              { class: `num ${amount.startsWith("-") ? "debit" : "credit"}` },
              formatMoney(amount, transaction.amount.currency),
            ),
          );
        }),
      ),
    ),
  );
}
