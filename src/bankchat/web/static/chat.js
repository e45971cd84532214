// The live chat connection (docs/protocol.md): one WebSocket, reconnected with backoff,
// resumed from the last sequence number per conversation, deduplicated by sequence number,
// and every unacknowledged send resent with its clientId (the server stores it once).

const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 15000;

function newClientId() {
  const random = crypto.getRandomValues(new Uint8Array(12));
  return "web-" + Array.from(random, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export class ChatClient extends EventTarget {
  constructor(url = defaultUrl()) {
    super();
    this.url = url;
    this.socket = null;
    this.stopped = true;
    this.attempts = 0;
    this.timer = null;
    this.connected = false;
    /** conversationId -> highest seq shown; anything at or below it is a duplicate. */
    this.lastSeq = new Map();
    /** clientId -> the send frame, until the server acknowledges it. */
    this.unacked = new Map();
  }

  start() {
    this.stopped = false;
    this.open();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000);
    this.socket = null;
  }

  /** Tell the client what history already shows, so resuming starts after it. */
  track(conversationId, seq) {
    if (!this.lastSeq.has(conversationId) || seq > this.lastSeq.get(conversationId)) {
      this.lastSeq.set(conversationId, seq);
    }
  }

  send(conversationId, kind, body) {
    const frame = { type: "send", conversationId, clientId: newClientId(), kind, body };
    this.unacked.set(frame.clientId, frame);
    this.write(frame);
    return frame.clientId;
  }

  typing(conversationId) {
    this.write({ type: "typing", conversationId });
  }

  read(conversationId, seq) {
    this.write({ type: "read", conversationId, seq });
  }

  write(frame) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  open() {
    clearTimeout(this.timer);
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.resume();
    });
    socket.addEventListener("message", (event) => {
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.receive(frame);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.setConnected(false);
      if (event.code === 4401) {
        this.stopped = true;
        this.emit("unauthorised", {});
        return;
      }
      if (!this.stopped) this.scheduleReconnect();
    });
  }

  resume() {
    this.write({ type: "resume", conversations: Object.fromEntries(this.lastSeq) });
    // Resent in the order they were written; duplicates are acknowledged, not stored again.
    for (const frame of this.unacked.values()) this.write(frame);
  }

  scheduleReconnect() {
    const ceiling = Math.min(MAX_BACKOFF_MS, MIN_BACKOFF_MS * 2 ** this.attempts);
    this.attempts += 1;
    // Jitter, so a restarted server is not hit by every client at the same instant.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.timer = setTimeout(() => this.open(), delay);
  }

  setConnected(value) {
    if (this.connected === value) return;
    this.connected = value;
    this.emit("connection", { connected: value });
  }

  receive(frame) {
    switch (frame.type) {
      case "welcome":
        this.attempts = 0;
        this.setConnected(true);
        break;
      case "message":
        this.receiveMessage(frame.message);
        break;
      case "ack": {
        this.unacked.delete(frame.clientId);
        // Our own message may never come back on this socket: advance when contiguous.
        if (frame.seq === (this.lastSeq.get(frame.conversationId) ?? 0) + 1) {
          this.lastSeq.set(frame.conversationId, frame.seq);
        }
        this.emit("ack", frame);
        break;
      }
      case "ping":
        this.write({ type: "pong" });
        break;
      case "error":
        // A transient failure keeps the message queued: resending the same clientId on
        // the next connection stores it once. Anything else is final.
        if (frame.clientId && !RETRYABLE.has(frame.code)) this.unacked.delete(frame.clientId);
        this.emit("error", frame);
        break;
      case "resumed":
      case "typing":
      case "read":
        this.emit(frame.type, frame);
        break;
      default:
        break;
    }
  }

  receiveMessage(message) {
    if (!message || typeof message.seq !== "number") return;
    const seen = this.lastSeq.get(message.conversationId) ?? 0;
    if (message.seq <= seen) {
      // Still tell the view: it may be our own acknowledged message, now with its details.
      this.emit("echo", message);
      return;
    }
    if (this.lastSeq.has(message.conversationId) && message.seq > seen + 1) {
      // A gap: an earlier message is late or was missed. Ask for everything after what we
      // have; it comes back in order, this one included.
      this.write({ type: "resume", conversations: { [message.conversationId]: seen } });
      return;
    }
    this.lastSeq.set(message.conversationId, message.seq);
    this.emit("message", message);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

const RETRYABLE = new Set(["INTERNAL_ERROR", "SEND_RACED"]);

function defaultUrl() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/v1/ws`;
}
