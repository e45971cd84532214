// The web messenger's entry point: who is signed in, the shell (conversation list and the
// pane beside it), routing by the URL fragment, and the live chat connection.

import { ApiError, get, patch, post, rememberCsrf } from "./api.js";
import { ChatClient } from "./chat.js";
import { h, clear, icon, ICONS } from "./dom.js";
import { t, setLanguage, language } from "./i18n.js";
import { languageSwitch, logo } from "./ui.js";
import { renderAuth } from "./view-auth.js";
import { renderAccounts } from "./view-accounts.js";
import { renderChat, renderConversationList, renderNewChat, conversationTitle } from "./view-chat.js";
import { renderLink } from "./view-link.js";
import { renderPrivacy } from "./view-privacy.js";

const root = document.getElementById("app");

class App {
  constructor() {
    this.person = null;
    this.chat = null;
    this.conversations = [];
    this.chatAvailable = true;
    this.active = null; // the open pane's controller (a chat view takes live events)
    this.flash = null;
    this.banks = null;
  }

  async start() {
    const outcome = readLinkOutcome();
    try {
      const session = await get("/auth/session");
      await this.signedIn(session, { outcome });
    } catch (failure) {
      if (!(failure instanceof ApiError) || failure.status === 0) {
        clear(root, h("p", { class: "fatal", role: "alert" }, t("error.network")));
        return;
      }
      renderAuth(root, this);
    }
  }

  async signedIn(session, { outcome = null } = {}) {
    rememberCsrf(session.csrfToken);
    this.person = session.person;
    setLanguage(session.person.language);
    if (outcome) this.flash = await this.linkOutcomeText(outcome);
    // Everything awaited comes before the shell exists, so nothing re-renders under a
    // person who has already started clicking.
    await this.loadConversations();
    this.buildShell();
    this.startChat();
    if (outcome) {
      // replaceState fires no hashchange, which would render a second time without the flash.
      history.replaceState(null, "", outcome.link === "linked" ? "/#/accounts" : "/#/link");
    }
    this.route();
  }

  async signedOut(notice = null) {
    if (this.chat) this.chat.stop();
    this.chat = null;
    this.person = null;
    this.conversations = [];
    this.active = null;
    history.replaceState(null, "", "/");
    renderAuth(root, this, { notice });
  }

  async logOut() {
    try {
      await post("/auth/logout");
    } finally {
      await this.signedOut();
    }
  }

  async changeLanguage(code) {
    setLanguage(code);
    if (this.person) {
      try {
        this.person = await patch("/me", { language: code });
      } catch {
        // The switch still applies here; the profile catches up next time.
      }
    }
  }

  async banksById() {
    if (!this.banks) this.banks = await get("/banks");
    return Object.fromEntries(this.banks.map((bank) => [bank.id, bank]));
  }

  async linkOutcomeText(outcome) {
    if (outcome.link === "linked") {
      let bank = "";
      try {
        const connection = await get(`/connections/${encodeURIComponent(outcome.connection)}`);
        bank = connection.bankName;
      } catch {
        bank = t("nav.accounts");
      }
      return { kind: "success", text: t("link.linked", { bank }) };
    }
    if (outcome.link === "denied") return { kind: "info", text: t("link.denied") };
    return { kind: "error", text: t("link.failed", { reason: outcome.reason || "?" }) };
  }

  // -- shell -------------------------------------------------------------------------

  buildShell() {
    this.sidebar = h("aside", { class: "sidebar", "aria-label": t("nav.conversations") });
    this.pane = h("main", { class: "pane", id: "pane", tabindex: "-1" });
    this.shell = h("div", { class: "shell" }, this.sidebar, this.pane);
    clear(root, this.shell);
    if (!this.routing) {
      this.routing = true;
      window.addEventListener("hashchange", () => this.person && this.route());
    }
  }

  renderSidebar() {
    const route = currentRoute();
    const navItem = (hash, label, path, current) =>
      h(
        "a",
        { href: hash, class: "nav-item", "aria-current": current ? "page" : null },
        icon(path),
        h("span", {}, label),
      );
    this.list = h("div", { class: "conversations" });
    clear(
      this.sidebar,
      h(
        "header",
        { class: "sidebar-head" },
        logo(),
        h(
          "a",
          { href: "#/new", class: "icon-button", "aria-label": t("nav.newChat"), title: t("nav.newChat") },
          icon(ICONS.plus),
        ),
      ),
      h(
        "nav",
        { class: "main-nav", "aria-label": t("nav.main") },
        navItem("#/accounts", t("nav.accounts"), ICONS.wallet, route.name === "accounts"),
        navItem("#/link", t("nav.link"), ICONS.bank, route.name === "link"),
        navItem("#/privacy", t("nav.privacy"), ICONS.shield, route.name === "privacy"),
      ),
      h("h2", { class: "list-title" }, t("nav.chats")),
      this.list,
      h(
        "footer",
        { class: "sidebar-foot" },
        h("span", { class: "me", title: this.person.email }, t("nav.signedInAs", { name: this.person.displayName })),
        h(
          "div",
          { class: "foot-actions" },
          languageSwitch(this, () => this.route()),
          h(
            "button",
            { type: "button", class: "icon-button", "aria-label": t("nav.logout"), title: t("nav.logout"), onclick: () => this.logOut() },
            icon(ICONS.logout),
          ),
        ),
      ),
    );
    this.renderList();
  }

  renderList() {
    if (!this.list) return;
    const route = currentRoute();
    renderConversationList(this.list, this, route.name === "chat" ? route.id : null);
  }

  route() {
    const route = currentRoute();
    if (this.active?.dispose) this.active.dispose();
    this.active = null;
    this.shell.dataset.view = route.name === "home" ? "list" : "detail";
    this.renderSidebar();
    const flash = this.flash;
    this.flash = null;
    const banner = flash
      ? h("p", { class: `banner ${flash.kind}`, role: "status" }, flash.text)
      : null;
    switch (route.name) {
      case "chat":
        this.active = renderChat(this.pane, this, route.id);
        break;
      case "new":
        renderNewChat(this.pane, this);
        break;
      case "link":
        this.active = renderLink(this.pane, this, banner, { bank: route.bank });
        break;
      case "accounts":
        this.active = renderAccounts(this.pane, this, banner);
        break;
      case "privacy":
        this.active = renderPrivacy(this.pane, this, banner);
        break;
      default:
        clear(
          this.pane,
          banner,
          h(
            "div",
            { class: "empty-pane" },
            icon(ICONS.chat, 56),
            h("p", {}, t("chat.noneSelected")),
          ),
        );
    }
  }

  /** A header for a pane: the back button (shown on narrow screens) and a title. */
  paneHeader(title, ...extra) {
    return h(
      "header",
      { class: "pane-head" },
      h(
        "a",
        { href: "#/", class: "icon-button back", "aria-label": t("nav.back"), title: t("nav.back") },
        icon(ICONS.back),
      ),
      h("h1", { id: "pane-title" }, title),
      ...extra,
    );
  }

  // -- conversations and the live connection ----------------------------------------

  async loadConversations() {
    try {
      this.conversations = await get("/conversations");
      this.chatAvailable = true;
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 401) return this.signedOut();
      this.conversations = [];
      this.chatAvailable = false;
    }
    this.renderList();
  }

  conversation(id) {
    return this.conversations.find((conversation) => conversation.id === id);
  }

  titleOf(conversation) {
    return conversationTitle(conversation, this.person.id);
  }

  startChat() {
    if (!this.chatAvailable) return;
    const chat = new ChatClient();
    this.chat = chat;
    for (const conversation of this.conversations) {
      chat.track(conversation.id, conversation.lastSeq ?? 0);
    }
    chat.addEventListener("message", (event) => this.onMessage(event.detail));
    for (const type of ["ack", "echo", "typing", "read", "connection", "error"]) {
      chat.addEventListener(type, (event) => this.active?.[type]?.(event.detail));
    }
    chat.addEventListener("unauthorised", () => this.signedOut(t("error.NOT_AUTHENTICATED")));
    chat.start();
  }

  onMessage(message) {
    const conversation = this.conversation(message.conversationId);
    if (!conversation) {
      // A conversation someone just started with us: fetch the list again.
      this.loadConversations();
      return;
    }
    conversation.lastMessage = message;
    conversation.lastSeq = Math.max(conversation.lastSeq ?? 0, message.seq);
    const open = this.active?.conversationId === message.conversationId;
    const mine = message.senderId === this.person.id;
    if (!open && !mine) conversation.unread = (conversation.unread ?? 0) + 1;
    this.conversations.sort((a, b) => lastAt(b) - lastAt(a));
    this.renderList();
    if (open) this.active.message(message);
  }
}

function lastAt(conversation) {
  const created = conversation.lastMessage?.createdAt;
  return created ? Date.parse(created) : 0;
}

function currentRoute() {
  const fragment = location.hash.replace(/^#\/?/, "");
  const queryAt = fragment.indexOf("?");
  const path = queryAt < 0 ? fragment : fragment.slice(0, queryAt);
  const query = new URLSearchParams(queryAt < 0 ? "" : fragment.slice(queryAt + 1));
  const [name, id] = path.split("/");
  if (name === "chat" && id) return { name: "chat", id: decodeURIComponent(id) };
  // `#/link?bank=<id>`: the assistant's "link this bank" button picks the bank.
  if (name === "link") return { name, bank: query.get("bank") };
  if (["new", "accounts", "privacy"].includes(name)) return { name };
  return { name: "home" };
}

/** `/?link=linked&connection=...` after the bank: read once, then drop from the URL. */
function readLinkOutcome() {
  const params = new URLSearchParams(location.search);
  const link = params.get("link");
  if (!link) return null;
  history.replaceState(null, "", "/" + location.hash);
  return { link, connection: params.get("connection"), reason: params.get("reason") };
}

const app = new App();
document.documentElement.lang = language();
app.start();
