// The privacy center: connections with what they share, until when and for what, revoke;
// the access log as a table; the export download; erasing everything.

import { del, get, post } from "./api.js";
import { h, clear } from "./dom.js";
import { t, language, formatLongDate, hasText } from "./i18n.js";
import { confirmDialog, errorText, showPage } from "./ui.js";

export function renderPrivacy(pane, app, banner) {
  const status = h("div", { role: "status", class: "status-slot" });
  const connections = h("div", { class: "connections" });
  const logBody = h("div", {});
  showPage(
    pane,
    app.paneHeader(t("privacy.title")),
    banner,
    status,
    h("p", { class: "muted" }, t("privacy.intro")),
    h("section", { "aria-labelledby": "connections-title" }, h("h2", { id: "connections-title" }, t("privacy.connections")), connections),
    h("section", { "aria-labelledby": "log-title" }, h("h2", { id: "log-title" }, t("privacy.log")), logBody),
    exportSection(),
    eraseSection(app),
  );

  let disposed = false;

  async function loadConnections() {
    try {
      const rows = await get("/privacy/connections");
      if (disposed) return;
      clear(
        connections,
        rows.length
          ? h("ul", { class: "connection-list", role: "list" }, rows.map((row) => connectionCard(row)))
          : h("p", { class: "muted" }, t("privacy.noConnections")),
      );
    } catch (failure) {
      clear(connections, h("p", { class: "form-error", role: "alert" }, errorText(failure)));
    }
  }

  function connectionCard(connection) {
    const valid = connection.status === "valid";
    const statusKey = `privacy.status.${connection.status}`;
    const facts = [
      [t("privacy.status"), hasText(statusKey) ? t(statusKey) : connection.status],
      [t("privacy.scopes"), connection.scopes.map((scope) => t(`scope.${scope}`)).join(", ")],
      [t("privacy.purposes"), connection.purposes.map((purpose) => t(`purpose.${purpose}`)).join(", ")],
      [
        t("privacy.validUntil"),
        valid
          ? `${formatLongDate(connection.validUntil)} (${t("privacy.daysLeft", { n: connection.daysLeft })})`
          : formatLongDate(connection.validUntil),
      ],
    ];
    const revoke = valid
      ? h(
          "button",
          {
            type: "button",
            class: "danger-outline",
            "aria-label": t("privacy.revoke", { bank: connection.bankName }),
            onclick: () => revokeConnection(connection),
          },
          t("privacy.revokeShort"),
        )
      : null;
    return h(
      "li",
      { class: `connection${valid ? "" : " ended"}`, "aria-label": connection.bankName },
      h(
        "div",
        { class: "connection-head" },
        h("h3", {}, connection.bankName),
        connection.expiringSoon ? h("span", { class: "pill warning" }, t("privacy.expiringSoon")) : null,
        h("span", { class: `pill ${valid ? "ok" : ""}` }, facts[0][1]),
      ),
      h("dl", { class: "facts" }, facts.slice(1).map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)])),
      connection.accounts.length
        ? h(
            "div",
            {},
            h("p", { class: "facts-title" }, t("privacy.accounts")),
            h(
              "ul",
              { class: "shared-accounts", role: "list" },
              connection.accounts.map((account) =>
                h(
                  "li",
                  {},
                  h("span", {}, account.name || t(`kind.${account.kind}`)),
                  h("span", { class: "muted" }, account.iban || account.maskedPan || ""),
                ),
              ),
            ),
          )
        : null,
      revoke ? h("div", { class: "actions" }, revoke) : null,
    );
  }

  async function revokeConnection(connection) {
    const bank = connection.bankName;
    const confirmed = await confirmDialog({
      title: t("privacy.revokeTitle", { bank }),
      body: h("p", {}, t("privacy.revokeText", { bank })),
      confirmLabel: t("privacy.revokeShort"),
      danger: true,
    });
    if (!confirmed) return;
    try {
      await del(`/connections/${encodeURIComponent(connection.id)}`);
      clear(status, h("p", { class: "banner success" }, t("privacy.revoked", { bank })));
    } catch (failure) {
      clear(status, h("p", { class: "banner error" }, errorText(failure)));
    }
    await Promise.all([loadConnections(), loadLog()]);
  }

  const logRows = h("tbody", {});
  const more = h("button", { type: "button", class: "secondary small", hidden: true }, t("privacy.logMore"));
  let nextBefore = null;

  async function loadLog(before = null) {
    const query = new URLSearchParams({ lang: language(), limit: "20" });
    if (before) query.set("before", String(before));
    try {
      const page = await get(`/privacy/access-log?${query}`);
      if (disposed) return;
      if (!before) logRows.replaceChildren();
      for (const entry of page.entries) {
        logRows.append(
          h(
            "tr",
            {},
            h("td", { class: "nowrap" }, h("time", { datetime: entry.at }, entry.when)),
            h("td", {}, entry.text),
            h("td", {}, entry.purpose ? t(`purpose.${entry.purpose}`) : "—"),
          ),
        );
      }
      nextBefore = page.nextBefore;
      more.hidden = !nextBefore;
      if (!logRows.children.length) clear(logBody, h("p", { class: "muted" }, t("privacy.logEmpty")));
      else if (!logBody.querySelector("table")) clear(logBody, logTable(), more);
    } catch (failure) {
      clear(logBody, h("p", { class: "form-error", role: "alert" }, errorText(failure)));
    }
  }

  function logTable() {
    return h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "table", "aria-label": t("privacy.logTable") },
        h(
          "thead",
          {},
          h("tr", {}, h("th", { scope: "col" }, t("privacy.logWhen")), h("th", { scope: "col" }, t("privacy.logWhat")), h("th", { scope: "col" }, t("privacy.logWhy"))),
        ),
        logRows,
      ),
    );
  }

  more.addEventListener("click", () => loadLog(nextBefore));
  loadConnections().then(() => loadLog());
  return {
    dispose() {
      disposed = true;
    },
  };
}

function exportSection() {
  return h(
    "section",
    { "aria-labelledby": "export-title" },
    h("h2", { id: "export-title" }, t("privacy.export")),
    h("p", { class: "muted" }, t("privacy.exportText")),
    h(
      "a",
      { href: "/api/v1/privacy/export", download: "bankchat-export.json", class: "button secondary" },
      t("privacy.exportButton"),
    ),
  );
}

function eraseSection(app) {
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  async function erase() {
    const email = app.person.email;
    const input = h("input", { id: "erase-confirm", type: "email", autocomplete: "off" });
    const confirmed = await confirmDialog({
      title: t("privacy.eraseTitle"),
      body: [
        h("p", {}, t("privacy.eraseText")),
        h(
          "div",
          { class: "field" },
          h("label", { for: "erase-confirm" }, t("privacy.eraseConfirmLabel", { email })),
          input,
        ),
      ],
      confirmLabel: t("privacy.eraseConfirm"),
      danger: true,
      ready: () => input.value.trim().toLowerCase() === email.toLowerCase(),
    });
    if (!confirmed) return;
    try {
      await post("/privacy/erase", { confirmEmail: input.value.trim() });
      await app.signedOut(t("auth.erased"));
    } catch (failure) {
      error.textContent = errorText(failure);
      error.hidden = false;
    }
  }
  return h(
    "section",
    { class: "danger-zone", "aria-labelledby": "erase-title" },
    h("h2", { id: "erase-title" }, t("privacy.erase")),
    h("p", {}, t("privacy.eraseText")),
    error,
    h("button", { type: "button", class: "danger", onclick: erase }, t("privacy.eraseButton")),
  );
}
