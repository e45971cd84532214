// "Link a bank": pick the bank, see in plain words what is shared and for how long, then
// go to the bank's own login (redirect SCA); the bank sends the browser back to us.

import { get, post } from "./api.js";
import { h } from "./dom.js";
import { t, formatLongDate } from "./i18n.js";
import { errorText, showPage } from "./ui.js";

const DURATIONS = [30, 90, 180];

/** `bank` (an id from `#/link?bank=<id>`) is chosen up front when there is such a bank. */
export function renderLink(pane, app, banner, { bank = null } = {}) {
  const body = showPage(pane, app.paneHeader(t("link.title")), banner, h("p", { class: "muted" }, t("link.intro")));
  get("/banks")
    .then((banks) => {
      app.banks = banks;
      body.append(banks.length ? linkForm(banks, bank) : h("p", {}, t("link.noBanks")));
    })
    .catch((failure) => body.append(h("p", { class: "form-error", role: "alert" }, errorText(failure))));
  return null;
}

function linkForm(banks, wanted) {
  const preselected = banks.some((bank) => bank.id === wanted) ? wanted : banks[0].id;
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const summary = h("p", { class: "summary", id: "link-summary", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary wide" });

  const bankChoices = h(
    "fieldset",
    { class: "bank-choices" },
    h("legend", {}, t("link.bank")),
    banks.map((bank) =>
      h(
        "label",
        { class: "bank-choice", style: { "--bank": bank.primaryColor, "--bank-accent": bank.accentColor } },
        h("input", { type: "radio", name: "bank", value: bank.id, checked: bank.id === preselected }),
        h("span", { class: "bank-mark", "aria-hidden": "true" }, bank.name.slice(0, 1)),
        h("span", { class: "bank-name" }, bank.name),
        h("span", { class: "bank-country muted" }, `${bank.country} · ${bank.currency}`),
      ),
    ),
  );
  const scopes = h(
    "fieldset",
    { class: "inline-choices" },
    h("legend", {}, t("link.share")),
    ["balances", "transactions"].map((scope) =>
      h(
        "label",
        { class: "check" },
        h("input", { type: "checkbox", name: "scope", value: scope, checked: true }),
        t(`link.${scope}`),
      ),
    ),
  );
  const days = h(
    "div",
    { class: "field" },
    h("label", { for: "link-days" }, t("link.days")),
    h(
      "select",
      { id: "link-days", name: "days" },
      DURATIONS.map((n) => h("option", { value: String(n), selected: n === 90 }, t("link.daysOption", { n }))),
    ),
  );

  const form = h(
    "form",
    { class: "link-form", "aria-describedby": "link-summary" },
    bankChoices,
    scopes,
    days,
    summary,
    error,
    submit,
  );

  function chosen() {
    const data = new FormData(form);
    const bank = banks.find((candidate) => candidate.id === data.get("bank"));
    return { bank, scopes: data.getAll("scope"), days: Number(data.get("days")) };
  }

  function update() {
    const { bank, scopes: picked, days: n } = chosen();
    const until = new Date();
    until.setDate(until.getDate() + n);
    const what = picked.map((scope) => t(`scope.${scope}`)).join(t("link.and"));
    summary.textContent =
      bank && picked.length
        ? t("link.summary", { what, bank: bank.name, days: n, until: formatLongDate(until) })
        : t(bank ? "link.pickScope" : "link.pickBank");
    submit.textContent = t("link.continue", { bank: bank ? bank.name : "…" });
    submit.disabled = !bank || !picked.length;
  }

  form.addEventListener("change", update);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { bank, scopes: picked, days: n } = chosen();
    if (!bank || !picked.length) return;
    submit.disabled = true;
    error.hidden = true;
    try {
      const started = await post("/connections", { bankId: bank.id, scopes: picked, days: n });
      location.assign(started.redirectUrl);
    } catch (failure) {
      error.textContent = errorText(failure);
      error.hidden = false;
      submit.disabled = false;
    }
  });
  update();
  return form;
}
