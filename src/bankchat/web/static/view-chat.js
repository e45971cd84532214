// Conversations: the list with unread counts, the chat view (bubbles, quick replies, cards,
// typing indicator, the assistant's suggestions) and starting a new chat with a person.

import { ApiError, get, post } from "./api.js";
import { h, clear, icon, ICONS, initials, hue } from "./dom.js";
import { t, hasText, formatWhen, formatTime } from "./i18n.js";
import { errorText, showPage } from "./ui.js";
import { renderCard, cardName } from "./view-card.js";

const HISTORY_PAGE = 50;
const TYPING_SHOWN_MS = 5000;
const TYPING_SENT_EVERY_MS = 3000;
const OPEN_PREFIX = "open:";
const SUGGESTIONS = ["assistant.try.balance", "assistant.try.spending", "assistant.try.link"];

export function conversationTitle(conversation, myId) {
  if (conversation.kind === "assistant") return t("chat.assistant");
  const others = (conversation.members || []).filter((member) => member.id !== myId);
  if (others.length) return others.map((member) => member.displayName).join(", ");
  return conversation.title || t("chat.someone");
}

function avatar(conversation, title) {
  const isAssistant = conversation.kind === "assistant";
  return h(
    "span",
    {
      class: `avatar${isAssistant ? " assistant" : ""}`,
      style: isAssistant ? null : { "--hue": String(hue(conversation.id)) },
      "aria-hidden": "true",
    },
    isAssistant ? icon(ICONS.chat, 20) : initials(title),
  );
}

export function preview(message) {
  if (!message) return "";
  const body = message.body || {};
  switch (message.kind) {
    case "text":
    case "quick_replies":
    case "quick_reply":
      return body.text || "";
    case "card":
      return cardName(body.card || {});
    case "notice":
      return noticeText(body);
    default:
      return "";
  }
}

export function renderConversationList(container, app, openId) {
  if (!app.chatAvailable) {
    clear(container, h("p", { class: "muted pad" }, t("chat.unavailable")));
    return;
  }
  if (!app.conversations.length) {
    clear(container, h("p", { class: "muted pad" }, t("chat.empty")));
    return;
  }
  const items = app.conversations.map((conversation) => {
    const title = app.titleOf(conversation);
    const unread = conversation.unread ?? 0;
    const last = conversation.lastMessage;
    return h(
      "li",
      {},
      h(
        "a",
        {
          href: `#/chat/${encodeURIComponent(conversation.id)}`,
          class: `conversation${unread ? " has-unread" : ""}`,
          "aria-current": conversation.id === openId ? "page" : null,
        },
        avatar(conversation, title),
        h(
          "span",
          { class: "conversation-text" },
          h(
            "span",
            { class: "conversation-top" },
            h("span", { class: "conversation-title" }, title),
            last ? h("time", { datetime: last.createdAt }, formatWhen(last.createdAt)) : null,
          ),
          h(
            "span",
            { class: "conversation-bottom" },
            h("span", { class: "conversation-preview" }, preview(last)),
            unread
              ? h(
                  "span",
                  { class: "badge", "aria-label": t("chat.unread", { n: unread }) },
                  String(unread),
                )
              : null,
          ),
        ),
      ),
    );
  });
  clear(container, h("ul", { class: "conversation-list", role: "list" }, items));
}

function noticeText(body) {
  const params = { ...(body.params || {}), code: body.code };
  const key = `notice.${body.code}`;
  return hasText(key) ? t(key, params) : t("notice.generic", params);
}

/** The hash route an `open:` payload asks for; null for anything but one of our own `#/`
 * routes (a payload can never send the browser elsewhere). */
export function openTarget(payload) {
  if (typeof payload !== "string" || !payload.startsWith(OPEN_PREFIX)) return null;
  const target = payload.slice(OPEN_PREFIX.length);
  return /^#\/[^\s]*$/.test(target) ? target : null;
}

export function renderChat(pane, app, conversationId) {
  const conversation = app.conversation(conversationId);
  if (!conversation) {
    clear(pane, app.paneHeader(t("chat.notFound")));
    return null;
  }
  const title = app.titleOf(conversation);
  const myId = app.person.id;
  const isAssistant = conversation.kind === "assistant";
  const bySeq = new Map();
  const pendingByClientId = new Map();
  /** clientId of a tapped quick reply -> its button group, held until the server has it. */
  const tappedGroups = new Map();
  let loaded = false;
  let nextBefore = null;
  let typingTimer = null;
  let lastTypingSent = 0;
  let highestShown = 0;

  const status = h("p", { class: "chat-status", "aria-live": "polite" });
  const offline = h("p", { class: "banner warning", role: "status", hidden: true }, t("chat.offline"));
  const log = h("ol", {
    class: "messages",
    role: "log",
    "aria-live": "polite",
    "aria-label": t("chat.messages", { title }),
  });
  const earlier = h(
    "button",
    { type: "button", class: "secondary small earlier", hidden: true, onclick: () => loadPage(nextBefore) },
    t("chat.loadEarlier"),
  );
  const welcome = isAssistant ? welcomeBlock() : null;
  const scroller = h("div", { class: "scroller" }, earlier, log, welcome);
  const input = h("textarea", {
    id: "composer",
    rows: "1",
    "aria-label": t("chat.message"),
    placeholder: t("chat.message"),
    maxlength: "4000",
    autocomplete: "off",
  });
  const form = h(
    "form",
    { class: "composer", onsubmit: (event) => (event.preventDefault(), sendText()) },
    input,
    h("button", { type: "submit", class: "send", "aria-label": t("chat.send"), title: t("chat.send") }, icon(ICONS.send)),
  );

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendText();
    }
  });
  input.addEventListener("input", () => {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
    const now = Date.now();
    if (input.value && now - lastTypingSent > TYPING_SENT_EVERY_MS) {
      lastTypingSent = now;
      app.chat?.typing(conversationId);
    }
  });

  clear(
    pane,
    h(
      "section",
      { class: "chat", "aria-labelledby": "pane-title" },
      app.paneHeader(title, status),
      offline,
      scroller,
      form,
    ),
  );
  offline.hidden = !app.chat || app.chat.connected || app.chat.stopped;
  input.focus();

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }

  function scrollToEnd() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  function stopTyping() {
    clearTimeout(typingTimer);
    status.textContent = "";
    status.classList.remove("typing");
  }

  function senderName(senderId) {
    if (senderId === myId) return t("chat.you");
    if (senderId === "assistant") return t("chat.assistant");
    const member = (conversation.members || []).find((m) => m.id === senderId);
    return member?.displayName || t("chat.someone");
  }

  function bubble(message, pending = false) {
    const mine = message.senderId === myId;
    const body = message.body || {};
    if (message.kind === "notice") {
      return h("li", { class: "notice", dataset: { seq: message.seq ?? "" } }, noticeText(body));
    }
    const isCard = message.kind === "card";
    const content = isCard ? renderCard(body.card || {}) : h("p", { class: "text" }, body.text || "");
    const replies =
      message.kind === "quick_replies" && Array.isArray(body.replies) ? quickReplies(body.replies) : null;
    const meta = h(
      "span",
      { class: "meta" },
      message.createdAt ? h("time", { datetime: message.createdAt }, formatTime(message.createdAt)) : null,
      pending ? h("span", { class: "sending" }, t("chat.sending")) : null,
    );
    return h(
      "li",
      {
        class: `message ${mine ? "mine" : "theirs"}${pending ? " pending" : ""}${isCard ? " has-card" : ""}`,
        dataset: {
          seq: message.seq ?? "",
          clientId: message.clientId ?? "",
          stored: message.createdAt ? "1" : "0",
        },
      },
      h("div", { class: "bubble" }, h("span", { class: "sr-only" }, t("chat.from", { name: senderName(message.senderId) })), content, meta),
      replies,
    );
  }

  /** Buttons under a message: `open:#/...` ones are links to that page of the messenger;
   * the rest send a quick reply. */
  function quickReplies(replies) {
    const choices = [];
    for (const reply of replies) {
      if (typeof reply?.payload !== "string") continue;
      if (reply.payload.startsWith(OPEN_PREFIX)) {
        const target = openTarget(reply.payload);
        if (target) choices.push(h("a", { class: "chip", href: target }, reply.label));
        continue;
      }
      choices.push(
        h(
          "button",
          {
            type: "button",
            class: "chip",
            onclick: (event) => tap(event.currentTarget.parentElement, reply),
          },
          reply.label,
        ),
      );
    }
    if (!choices.length) return null;
    return h("div", { class: "quick-replies", role: "group", "aria-label": t("chat.quickReplies") }, choices);
  }

  function tap(group, reply) {
    // Held until the server has the reply, so a double tap answers once; then usable again.
    group.querySelectorAll("button").forEach((button) => (button.disabled = true));
    const clientId = send("quick_reply", { text: reply.label, payload: reply.payload });
    if (clientId) tappedGroups.set(clientId, group);
    else releaseGroup(group);
  }

  function releaseGroup(group) {
    group?.querySelectorAll("button").forEach((button) => (button.disabled = false));
  }

  function releaseTapped(clientId) {
    releaseGroup(tappedGroups.get(clientId));
    tappedGroups.delete(clientId);
  }

  /** Only the newest buttons look like the way forward; older ones stay usable, quieter. */
  function markLatestReplies() {
    const groups = log.querySelectorAll(".quick-replies");
    groups.forEach((group, index) => group.classList.toggle("older", index < groups.length - 1));
  }

  /** Suggestions in the assistant's conversation until someone has said something. */
  function welcomeBlock() {
    return h(
      "div",
      { class: "welcome", hidden: true },
      h("p", { class: "welcome-text" }, t("assistant.welcome")),
      h(
        "div",
        { class: "quick-replies suggestions", role: "group", "aria-label": t("assistant.suggestions") },
        SUGGESTIONS.map((key) => t(key)).map((text) =>
          h("button", { type: "button", class: "chip", onclick: () => send("text", { text }) }, text),
        ),
      ),
    );
  }

  function updateWelcome() {
    if (!welcome) return;
    // Notices (a bank linked, say) are not a conversation yet: the suggestions stay.
    const spoken = log.querySelector(".message") !== null;
    welcome.hidden = !loaded || spoken || Boolean(nextBefore);
  }

  function place(element, seq) {
    for (const existing of log.children) {
      const existingSeq = Number(existing.dataset.seq || Infinity);
      if (existingSeq > seq) {
        log.insertBefore(element, existing);
        return;
      }
    }
    log.append(element);
  }

  function show(message) {
    const known = bySeq.get(message.seq);
    if (known) {
      // An acknowledged bubble of ours lacks the server's time: take the stored message's.
      if (known.dataset.stored !== "1" && known.dataset.clientId === message.clientId) {
        const stored = bubble(message);
        known.replaceWith(stored);
        bySeq.set(message.seq, stored);
      }
      return false;
    }
    const stick = nearBottom();
    const pending = message.senderId === myId ? pendingByClientId.get(message.clientId) : null;
    const element = bubble(message);
    if (pending) {
      pending.remove();
      pendingByClientId.delete(message.clientId);
    }
    bySeq.set(message.seq, element);
    place(element, message.seq);
    log.querySelector(".empty")?.remove();
    markLatestReplies();
    updateWelcome();
    highestShown = Math.max(highestShown, message.seq);
    if (stick || message.senderId === myId) scrollToEnd();
    return true;
  }

  function markRead() {
    if (!highestShown || document.hidden) return;
    if ((conversation.lastReadSeq ?? 0) >= highestShown && !conversation.unread) return;
    conversation.lastReadSeq = highestShown;
    conversation.unread = 0;
    app.renderList();
    post(`/conversations/${encodeURIComponent(conversationId)}/read`, { seq: highestShown }).catch(() => {});
  }

  async function loadPage(before) {
    const query = new URLSearchParams({ limit: String(HISTORY_PAGE) });
    if (before) query.set("before", String(before));
    try {
      const page = await get(`/conversations/${encodeURIComponent(conversationId)}/messages?${query}`);
      const previousHeight = scroller.scrollHeight;
      for (const message of page.messages) show(message);
      nextBefore = page.nextBefore;
      earlier.hidden = !nextBefore;
      if (before) scroller.scrollTop += scroller.scrollHeight - previousHeight;
      else scrollToEnd();
      if (!before && page.messages.length) {
        app.chat?.track(conversationId, page.messages[page.messages.length - 1].seq);
      }
      loaded = true;
      updateWelcome();
      // The assistant's conversation offers its suggestions instead.
      if (!log.children.length && !isAssistant) {
        log.append(h("li", { class: "empty" }, t("chat.noMessages")));
      }
      markRead();
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 404) {
        log.append(h("li", { class: "empty" }, t("chat.notFound")));
      } else {
        log.append(h("li", { class: "empty" }, errorText(failure)));
      }
    }
  }

  function send(kind, body) {
    if (!app.chat) return null;
    const clientId = app.chat.send(conversationId, kind, body);
    const element = bubble({ senderId: myId, clientId, kind, body }, true);
    pendingByClientId.set(clientId, element);
    log.querySelector(".empty")?.remove();
    log.append(element);
    updateWelcome();
    scrollToEnd();
    return clientId;
  }

  function sendText() {
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    input.style.height = "auto";
    lastTypingSent = 0; // the next words typed are news again
    send("text", { text });
    input.focus();
  }

  const onVisible = () => markRead();
  document.addEventListener("visibilitychange", onVisible);
  loadPage(null);

  return {
    conversationId,
    message(message) {
      if (show(message)) markRead();
      if (message.senderId !== myId) stopTyping();
    },
    echo(message) {
      if (message.conversationId === conversationId) show(message);
    },
    ack(frame) {
      if (frame.conversationId !== conversationId) return;
      releaseTapped(frame.clientId);
      const element = pendingByClientId.get(frame.clientId);
      if (!element) return;
      pendingByClientId.delete(frame.clientId);
      if (bySeq.has(frame.seq)) {
        element.remove();
        return;
      }
      element.classList.remove("pending");
      element.dataset.seq = String(frame.seq);
      element.querySelector(".sending")?.remove();
      bySeq.set(frame.seq, element);
      element.remove();
      place(element, frame.seq);
      highestShown = Math.max(highestShown, frame.seq);
    },
    typing(frame) {
      if (frame.conversationId !== conversationId || frame.personId === myId) return;
      status.textContent = t("chat.typing", { name: senderName(frame.personId) });
      status.classList.add("typing");
      clearTimeout(typingTimer);
      typingTimer = setTimeout(stopTyping, TYPING_SHOWN_MS);
    },
    connection({ connected }) {
      offline.hidden = connected;
    },
    error(frame) {
      if (!frame.clientId) return;
      releaseTapped(frame.clientId);
      const element = pendingByClientId.get(frame.clientId);
      if (element) {
        element.classList.add("failed");
        element.querySelector(".sending")?.replaceWith(h("span", { class: "failed-text" }, frame.code));
        pendingByClientId.delete(frame.clientId);
      }
    },
    dispose() {
      clearTimeout(typingTimer);
      document.removeEventListener("visibilitychange", onVisible);
    },
  };
}

export function renderNewChat(pane, app) {
  const results = h("ul", { class: "people", role: "list", "aria-label": t("new.title") });
  const hint = h("p", { class: "hint", id: "search-hint" }, t("new.searchHint"));
  const input = h("input", {
    id: "people-search",
    type: "search",
    autocomplete: "off",
    "aria-describedby": "search-hint",
  });
  let timer = null;
  let latest = 0;

  async function search() {
    const query = input.value.trim();
    const ticket = ++latest;
    if (query.length < 2) {
      clear(results);
      return;
    }
    try {
      const people = await get(`/people?query=${encodeURIComponent(query)}`);
      if (ticket !== latest) return;
      if (!people.length) {
        clear(results, h("li", { class: "muted" }, t("new.noResults")));
        return;
      }
      clear(
        results,
        people.map((person) =>
          h(
            "li",
            {},
            h(
              "button",
              {
                type: "button",
                class: "person",
                "aria-label": t("new.chatWith", { name: person.displayName }),
                onclick: () => open(person),
              },
              h("span", { class: "avatar", style: { "--hue": String(hue(person.id)) }, "aria-hidden": "true" }, initials(person.displayName)),
              h("span", {}, person.displayName),
            ),
          ),
        ),
      );
    } catch (failure) {
      if (ticket === latest) clear(results, h("li", { class: "form-error", role: "alert" }, errorText(failure)));
    }
  }

  async function open(person) {
    try {
      const conversation = await post("/conversations", { personId: person.id });
      await app.loadConversations();
      app.chat?.track(conversation.id, conversation.lastSeq ?? 0);
      location.hash = `#/chat/${encodeURIComponent(conversation.id)}`;
    } catch (failure) {
      clear(results, h("li", { class: "form-error", role: "alert" }, errorText(failure)));
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });

  showPage(
    pane,
    app.paneHeader(t("new.title")),
    h("div", { class: "field" }, h("label", { for: "people-search" }, t("new.search")), input, hint),
    results,
  );
  input.focus();
}
