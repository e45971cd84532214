// Small pieces several screens share: the logo, the language switch, a page in the pane,
// error texts and a confirmation dialog.

import { h, clear } from "./dom.js";
import { t, hasText, language } from "./i18n.js";

export function logo() {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 32 32");
  svg.setAttribute("width", "32");
  svg.setAttribute("height", "32");
  svg.setAttribute("aria-hidden", "true");
  const bubble = document.createElementNS(svg.namespaceURI, "path");
  bubble.setAttribute("d", "M6 4h20a4 4 0 0 1 4 4v12a4 4 0 0 1-4 4H13l-7 5v-5a4 4 0 0 1-4-4V8a4 4 0 0 1 4-4z");
  bubble.setAttribute("fill", "var(--accent)");
  const coin = document.createElementNS(svg.namespaceURI, "path");
  coin.setAttribute("d", "M10 11h12v2H10zm0 4h8v2h-8z");
  coin.setAttribute("fill", "#fff");
  svg.append(bubble, coin);
  return h("span", { class: "logo" }, svg, h("span", { class: "logo-text" }, t("app.name")));
}

/** Two toggle buttons, DE and EN; `changed` re-renders whatever shows them. */
export function languageSwitch(app, changed) {
  const group = h("div", { class: "lang-switch", role: "group", "aria-label": t("lang.label") });
  for (const code of ["de", "en"]) {
    group.append(
      h(
        "button",
        {
          type: "button",
          lang: code,
          "aria-pressed": String(language() === code),
          "aria-label": t(`lang.${code}`),
          onclick: async () => {
            await app.changeLanguage(code);
            changed();
          },
        },
        code.toUpperCase(),
      ),
    );
  }
  return group;
}

/** A page in the pane: its header, then a body holding `children`; returns the body, for
 * what arrives later. */
export function showPage(pane, header, ...children) {
  const body = h("div", { class: "page-body" }, children);
  clear(pane, h("section", { class: "page", "aria-labelledby": "pane-title" }, header, body));
  return body;
}

/** What to tell a person about a failed request, in their language. */
export function errorText(failure) {
  if (!failure || failure.status === undefined) return t("error.generic");
  if (failure.status === 0) return t("error.network");
  const key = `error.${failure.code}`;
  let text = hasText(key) ? t(key) : t("error.generic");
  const reasons = failure.problem?.reasons;
  if (failure.code === "WEAK_PASSWORD" && Array.isArray(reasons)) {
    text += " " + reasons.map((reason) => t(`weak.${reason}`)).join(" ");
  }
  return text;
}

/** A modal dialog; resolves true when the person confirms. `body` may hold inputs, and
 * `ready` decides whether the confirm button is enabled. */
export function confirmDialog({ title, body, confirmLabel, danger = false, ready = null }) {
  return new Promise((resolve) => {
    const confirm = h(
      "button",
      { type: "submit", class: danger ? "danger" : "primary", value: "confirm" },
      confirmLabel,
    );
    const cancel = h("button", { type: "button", class: "secondary" }, t("privacy.cancel"));
    const titleId = `dialog-title-${Math.random().toString(36).slice(2)}`;
    const form = h(
      "form",
      { method: "dialog" },
      h("h2", { id: titleId }, title),
      body,
      h("div", { class: "actions" }, cancel, confirm),
    );
    const dialog = h("dialog", { class: "dialog", "aria-labelledby": titleId }, form);
    const update = () => {
      confirm.disabled = ready ? !ready(dialog) : false;
    };
    dialog.addEventListener("input", update);
    update();
    let confirmed = false;
    form.addEventListener("submit", (event) => {
      if (confirm.disabled) {
        event.preventDefault();
        return;
      }
      confirmed = true;
    });
    cancel.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(confirmed);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
