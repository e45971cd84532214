// German and English for every text a person reads, and amounts and dates per locale.
// The language lives in localStorage before sign-in and in the profile after it.

const STORAGE_KEY = "bankchat.language";
const LOCALES = { de: "de-DE", en: "en-US" };

const TEXTS = {
  en: {
    "app.name": "bankchat",
    "app.tagline": "Your bank, in a chat. Private by design.",
    "lang.label": "Language",
    "lang.de": "Deutsch",
    "lang.en": "English",
    "auth.login": "Log in",
    "auth.signup": "Sign up",
    "auth.tabs": "Log in or sign up",
    "auth.email": "Email address",
    "auth.password": "Password",
    "auth.name": "Your name",
    "auth.passwordHint": "At least 10 characters; not your name or email address.",
    "auth.submitLogin": "Log in",
    "auth.submitSignup": "Create account",
    "auth.noAccount": "New here? Create an account.",
    "auth.haveAccount": "Already have an account? Log in.",
    "auth.erased": "Everything about you has been deleted. Goodbye!",
    "auth.privacyPromise":
      "We read your bank data only to answer you. Never for advertising, never for third parties.",
    "auth.tryThis":
      "Log in as the demo person that make demo printed, then link a sandbox bank with one of " +
      "its printed logins and see your accounts. Start a chat with a friend, and look in the " +
      "privacy center at who read what and why.",
    "nav.main": "Main",
    "nav.chats": "Chats",
    "nav.accounts": "Accounts",
    "nav.link": "Link a bank",
    "nav.privacy": "Privacy center",
    "nav.logout": "Log out",
    "nav.back": "Back",
    "nav.newChat": "New chat",
    "nav.conversations": "Conversations",
    "nav.signedInAs": "Signed in as {name}",
    "chat.assistant": "Assistant",
    "chat.empty": "No conversations yet.",
    "chat.noneSelected": "Pick a conversation, or start a new chat.",
    "chat.noMessages": "No messages yet. Say hello!",
    "chat.messages": "Messages in {title}",
    "chat.message": "Message",
    "chat.send": "Send",
    "chat.typing": "{name} is typing…",
    "chat.someone": "Someone",
    "chat.you": "You",
    "chat.unread": "{n} unread",
    "chat.loadEarlier": "Load earlier messages",
    "chat.sending": "Sending…",
    "chat.quickReplies": "Suggested answers",
    "chat.offline": "Connection lost. Reconnecting…",
    "chat.unavailable": "Chat is not available right now.",
    "chat.notFound": "This conversation does not exist.",
    "chat.from": "{name}:",
    "new.title": "New chat",
    "new.search": "Name or email address",
    "new.searchHint": "Type at least two letters of a name, or a whole email address.",
    "new.noResults": "Nobody found.",
    "new.chatWith": "Chat with {name}",
    "card.balance": "Balance",
    "card.transactions": "Transactions",
    "card.confirmation": "Confirmation",
    "card.confirm": "Confirm",
    "card.spending": "Spending",
    "card.generic": "Overview",
    "card.tone.in": "incoming",
    "card.tone.out": "outgoing",
    "assistant.welcome":
      "Ask me about your accounts, your spending or who read your data. For example:",
    "assistant.suggestions": "Things to ask",
    "assistant.try.balance": "What is my balance?",
    "assistant.try.spending": "What did I spend last month?",
    "assistant.try.link": "Link a bank",
    "link.title": "Link a bank",
    "link.intro": "Choose your bank. You log in at the bank itself; we never see your bank password.",
    "link.bank": "Your bank",
    "link.share": "What you share",
    "link.balances": "Balances",
    "link.transactions": "Transactions",
    "link.days": "For how long",
    "link.daysOption": "{n} days",
    "link.summary":
      "bankchat may read the {what} of the accounts you choose at {bank} for {days} days, " +
      "until {until}. Only to answer you and to warn you about suspicious transactions; " +
      "never for advertising and never passed on. You can revoke it at any time in the " +
      "privacy center.",
    "link.and": " and ",
    "link.continue": "Continue to {bank}",
    "link.pickBank": "Pick a bank first.",
    "link.pickScope": "Share at least balances or transactions.",
    "link.linked": "{bank} is linked. Your accounts appear in a moment.",
    "link.denied": "You did not give access at your bank. Nothing was shared.",
    "link.failed": "Linking did not work ({reason}). Please try again.",
    "link.noBanks": "No banks are available.",
    "accounts.title": "Your accounts",
    "accounts.none": "No linked accounts yet.",
    "accounts.linkFirst": "Link a bank to see your accounts here.",
    "accounts.loading": "Fetching your accounts from the bank…",
    "accounts.balance": "Balance",
    "accounts.recent": "Recent transactions",
    "accounts.recentTable": "Recent transactions",
    "accounts.date": "Date",
    "accounts.who": "Who",
    "accounts.amount": "Amount",
    "accounts.pending": "pending",
    "kind.checking": "Checking account",
    "kind.savings": "Savings account",
    "kind.credit_card": "Credit card",
    "privacy.title": "Privacy center",
    "privacy.intro":
      "See what you share, who read it and why, take a copy of everything, or delete it all.",
    "privacy.connections": "Connections",
    "privacy.noConnections": "You have not linked a bank.",
    "privacy.status": "Status",
    "privacy.status.valid": "Active",
    "privacy.status.revokedByPsu": "Revoked at the bank",
    "privacy.status.expired": "Expired",
    "privacy.status.terminatedByTpp": "Revoked",
    "privacy.scopes": "Shares",
    "privacy.purposes": "Used for",
    "privacy.validUntil": "Valid until",
    "privacy.daysLeft": "{n} days left",
    "privacy.expiringSoon": "Expires soon",
    "privacy.accounts": "Accounts",
    "privacy.revoke": "Revoke access to {bank}",
    "privacy.revokeShort": "Revoke",
    "privacy.revokeTitle": "Revoke access to {bank}?",
    "privacy.revokeText":
      "bankchat stops reading from {bank} right away, the bank is told to end the access, " +
      "and the accounts disappear from bankchat.",
    "privacy.revoked": "Access to {bank} has been revoked.",
    "privacy.cancel": "Cancel",
    "privacy.log": "Access log",
    "privacy.logTable": "Who read what, and why",
    "privacy.logWhen": "When",
    "privacy.logWhat": "What happened",
    "privacy.logWhy": "Why",
    "privacy.logEmpty": "Nothing has been read yet.",
    "privacy.logMore": "Show older entries",
    "privacy.export": "Your data",
    "privacy.exportText": "Download everything bankchat holds about you as one JSON file.",
    "privacy.exportButton": "Download my data",
    "privacy.erase": "Delete everything",
    "privacy.eraseText":
      "Ends every connection at the banks, destroys the key that protects your bank data and " +
      "deletes your account. This cannot be undone.",
    "privacy.eraseButton": "Delete everything…",
    "privacy.eraseTitle": "Delete everything for good?",
    "privacy.eraseConfirmLabel": "Type your email address ({email}) to confirm",
    "privacy.eraseConfirm": "Delete everything for good",
    "purpose.user_request": "Your question",
    "purpose.fraud_protection": "Fraud protection",
    "purpose.customer_support": "Customer support",
    "purpose.payment": "Payments",
    "scope.balances": "balances",
    "scope.transactions": "transactions",
    "notice.BANK_LINKED": "{bank} is linked.",
    "notice.BANK_REVOKED": "Access to {bank} was revoked.",
    "notice.CONSENT_EXPIRING": "Your access to {bank} ends in {days} days.",
    "notice.generic": "Notice: {code}",
    "error.generic": "Something went wrong. Please try again.",
    "error.network": "The server cannot be reached. Please check your connection.",
    "error.EMAIL_TAKEN": "There is already an account with this email address.",
    "error.INVALID_CREDENTIALS": "Email address or password is wrong.",
    "error.LOGIN_RATE_LIMITED": "Too many attempts. Please wait a moment.",
    "error.VALIDATION_FAILED": "Please check what you entered.",
    "error.CONFIRMATION_MISMATCH": "That is not your email address.",
    "error.NOT_AUTHENTICATED": "Please log in again.",
    "error.BANK_REFUSED": "The bank did not answer. Please try again later.",
    "error.WEAK_PASSWORD": "Please choose a stronger password.",
    "weak.too_short": "It is shorter than 10 characters.",
    "weak.too_long": "It is too long.",
    "weak.too_common": "It is one of the most common passwords.",
    "weak.contains_email": "It contains your email address.",
    "weak.contains_name": "It contains your name.",
  },
  de: {
    "app.name": "bankchat",
    "app.tagline": "Deine Bank im Chat. Datenschutz inklusive.",
    "lang.label": "Sprache",
    "lang.de": "Deutsch",
    "lang.en": "English",
    "auth.login": "Anmelden",
    "auth.signup": "Registrieren",
    "auth.tabs": "Anmelden oder registrieren",
    "auth.email": "E-Mail-Adresse",
    "auth.password": "Passwort",
    "auth.name": "Dein Name",
    "auth.passwordHint": "Mindestens 10 Zeichen; nicht dein Name oder deine E-Mail-Adresse.",
    "auth.submitLogin": "Anmelden",
    "auth.submitSignup": "Konto anlegen",
    "auth.noAccount": "Neu hier? Konto anlegen.",
    "auth.haveAccount": "Schon ein Konto? Anmelden.",
    "auth.erased": "Alles über dich wurde gelöscht. Auf Wiedersehen!",
    "auth.privacyPromise":
      "Wir lesen deine Bankdaten nur, um dir zu antworten. Nie für Werbung, nie für Dritte.",
    "auth.tryThis":
      "Melde dich als die Demo-Person an, die make demo ausgegeben hat, verbinde eine " +
      "Sandbox-Bank mit einem der ausgegebenen Logins und sieh deine Konten. Starte einen Chat " +
      "mit einer Freundin und sieh im Datenschutz-Center, wer was wozu gelesen hat.",
    "nav.main": "Hauptmenü",
    "nav.chats": "Chats",
    "nav.accounts": "Konten",
    "nav.link": "Bank verbinden",
    "nav.privacy": "Datenschutz-Center",
    "nav.logout": "Abmelden",
    "nav.back": "Zurück",
    "nav.newChat": "Neuer Chat",
    "nav.conversations": "Unterhaltungen",
    "nav.signedInAs": "Angemeldet als {name}",
    "chat.assistant": "Assistent",
    "chat.empty": "Noch keine Unterhaltungen.",
    "chat.noneSelected": "Wähle eine Unterhaltung oder starte einen neuen Chat.",
    "chat.noMessages": "Noch keine Nachrichten. Sag Hallo!",
    "chat.messages": "Nachrichten in {title}",
    "chat.message": "Nachricht",
    "chat.send": "Senden",
    "chat.typing": "{name} schreibt…",
    "chat.someone": "Jemand",
    "chat.you": "Du",
    "chat.unread": "{n} ungelesen",
    "chat.loadEarlier": "Ältere Nachrichten laden",
    "chat.sending": "Wird gesendet…",
    "chat.quickReplies": "Antwortvorschläge",
    "chat.offline": "Verbindung unterbrochen. Verbinde neu…",
    "chat.unavailable": "Der Chat ist gerade nicht verfügbar.",
    "chat.notFound": "Diese Unterhaltung gibt es nicht.",
    "chat.from": "{name}:",
    "new.title": "Neuer Chat",
    "new.search": "Name oder E-Mail-Adresse",
    "new.searchHint": "Mindestens zwei Buchstaben eines Namens oder eine ganze E-Mail-Adresse.",
    "new.noResults": "Niemanden gefunden.",
    "new.chatWith": "Mit {name} chatten",
    "card.balance": "Kontostand",
    "card.transactions": "Umsätze",
    "card.confirmation": "Bestätigung",
    "card.confirm": "Bestätigen",
    "card.spending": "Ausgaben",
    "card.generic": "Übersicht",
    "card.tone.in": "Eingang",
    "card.tone.out": "Ausgang",
    "assistant.welcome":
      "Frag mich nach deinen Konten, deinen Ausgaben oder wer deine Daten gelesen hat. Zum Beispiel:",
    "assistant.suggestions": "Das kannst du fragen",
    "assistant.try.balance": "Wie ist mein Kontostand?",
    "assistant.try.spending": "Was habe ich letzten Monat ausgegeben?",
    "assistant.try.link": "Bank verbinden",
    "link.title": "Bank verbinden",
    "link.intro":
      "Wähle deine Bank. Du meldest dich bei der Bank selbst an; dein Bankpasswort sehen wir nie.",
    "link.bank": "Deine Bank",
    "link.share": "Was du teilst",
    "link.balances": "Kontostände",
    "link.transactions": "Umsätze",
    "link.days": "Wie lange",
    "link.daysOption": "{n} Tage",
    "link.summary":
      "bankchat darf die {what} der Konten, die du bei {bank} auswählst, {days} Tage lang " +
      "lesen, bis zum {until}. Nur um dir zu antworten und dich vor verdächtigen Umsätzen zu " +
      "warnen; nie für Werbung und nie für Dritte. Du kannst das jederzeit im " +
      "Datenschutz-Center widerrufen.",
    "link.and": " und ",
    "link.continue": "Weiter zu {bank}",
    "link.pickBank": "Wähle zuerst eine Bank.",
    "link.pickScope": "Teile mindestens Kontostände oder Umsätze.",
    "link.linked": "{bank} ist verbunden. Deine Konten erscheinen gleich.",
    "link.denied": "Du hast bei deiner Bank nicht zugestimmt. Es wurde nichts geteilt.",
    "link.failed": "Das Verbinden hat nicht geklappt ({reason}). Bitte versuche es erneut.",
    "link.noBanks": "Keine Banken verfügbar.",
    "accounts.title": "Deine Konten",
    "accounts.none": "Noch keine verbundenen Konten.",
    "accounts.linkFirst": "Verbinde eine Bank, um deine Konten hier zu sehen.",
    "accounts.loading": "Deine Konten werden von der Bank geholt…",
    "accounts.balance": "Kontostand",
    "accounts.recent": "Letzte Umsätze",
    "accounts.recentTable": "Letzte Umsätze",
    "accounts.date": "Datum",
    "accounts.who": "Wer",
    "accounts.amount": "Betrag",
    "accounts.pending": "vorgemerkt",
    "kind.checking": "Girokonto",
    "kind.savings": "Sparkonto",
    "kind.credit_card": "Kreditkarte",
    "privacy.title": "Datenschutz-Center",
    "privacy.intro":
      "Sieh, was du teilst, wer es wann und wozu gelesen hat, hol dir eine Kopie von allem " +
      "oder lösche alles.",
    "privacy.connections": "Verbindungen",
    "privacy.noConnections": "Du hast noch keine Bank verbunden.",
    "privacy.status": "Status",
    "privacy.status.valid": "Aktiv",
    "privacy.status.revokedByPsu": "Bei der Bank widerrufen",
    "privacy.status.expired": "Abgelaufen",
    "privacy.status.terminatedByTpp": "Widerrufen",
    "privacy.scopes": "Geteilt",
    "privacy.purposes": "Wofür",
    "privacy.validUntil": "Gültig bis",
    "privacy.daysLeft": "noch {n} Tage",
    "privacy.expiringSoon": "Läuft bald ab",
    "privacy.accounts": "Konten",
    "privacy.revoke": "Zugriff auf {bank} widerrufen",
    "privacy.revokeShort": "Widerrufen",
    "privacy.revokeTitle": "Zugriff auf {bank} widerrufen?",
    "privacy.revokeText":
      "bankchat liest sofort nichts mehr von {bank}, die Bank wird gebeten, den Zugriff zu " +
      "beenden, und die Konten verschwinden aus bankchat.",
    "privacy.revoked": "Der Zugriff auf {bank} wurde widerrufen.",
    "privacy.cancel": "Abbrechen",
    "privacy.log": "Zugriffsprotokoll",
    "privacy.logTable": "Wer hat was gelesen, und wozu",
    "privacy.logWhen": "Wann",
    "privacy.logWhat": "Was geschah",
    "privacy.logWhy": "Wozu",
    "privacy.logEmpty": "Bisher wurde nichts gelesen.",
    "privacy.logMore": "Ältere Einträge zeigen",
    "privacy.export": "Deine Daten",
    "privacy.exportText": "Lade alles, was bankchat über dich speichert, als eine JSON-Datei.",
    "privacy.exportButton": "Meine Daten herunterladen",
    "privacy.erase": "Alles löschen",
    "privacy.eraseText":
      "Beendet alle Verbindungen bei den Banken, vernichtet den Schlüssel deiner Bankdaten und " +
      "löscht dein Konto. Das lässt sich nicht rückgängig machen.",
    "privacy.eraseButton": "Alles löschen…",
    "privacy.eraseTitle": "Wirklich alles endgültig löschen?",
    "privacy.eraseConfirmLabel": "Gib zur Bestätigung deine E-Mail-Adresse ({email}) ein",
    "privacy.eraseConfirm": "Alles endgültig löschen",
    "purpose.user_request": "Deine Frage",
    "purpose.fraud_protection": "Betrugsschutz",
    "purpose.customer_support": "Kundenservice",
    "purpose.payment": "Zahlungen",
    "scope.balances": "Kontostände",
    "scope.transactions": "Umsätze",
    "notice.BANK_LINKED": "{bank} ist verbunden.",
    "notice.BANK_REVOKED": "Der Zugriff auf {bank} wurde widerrufen.",
    "notice.CONSENT_EXPIRING": "Dein Zugriff auf {bank} endet in {days} Tagen.",
    "notice.generic": "Hinweis: {code}",
    "error.generic": "Etwas ist schiefgelaufen. Bitte versuche es erneut.",
    "error.network": "Der Server ist nicht erreichbar. Bitte prüfe deine Verbindung.",
    "error.EMAIL_TAKEN": "Es gibt schon ein Konto mit dieser E-Mail-Adresse.",
    "error.INVALID_CREDENTIALS": "E-Mail-Adresse oder Passwort ist falsch.",
    "error.LOGIN_RATE_LIMITED": "Zu viele Versuche. Bitte warte einen Moment.",
    "error.VALIDATION_FAILED": "Bitte prüfe deine Eingaben.",
    "error.CONFIRMATION_MISMATCH": "Das ist nicht deine E-Mail-Adresse.",
    "error.NOT_AUTHENTICATED": "Bitte melde dich erneut an.",
    "error.BANK_REFUSED": "Die Bank antwortet nicht. Bitte versuche es später erneut.",
    "error.WEAK_PASSWORD": "Bitte wähle ein stärkeres Passwort.",
    "weak.too_short": "Es ist kürzer als 10 Zeichen.",
    "weak.too_long": "Es ist zu lang.",
    "weak.too_common": "Es gehört zu den häufigsten Passwörtern.",
    "weak.contains_email": "Es enthält deine E-Mail-Adresse.",
    "weak.contains_name": "Es enthält deinen Namen.",
  },
};

let current = initialLanguage();

function initialLanguage() {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === "de" || stored === "en") return stored;
  return (navigator.language || "en").toLowerCase().startsWith("de") ? "de" : "en";
}

export function language() {
  return current;
}

export function locale() {
  return LOCALES[current];
}

export function setLanguage(value) {
  if (value !== "de" && value !== "en") return;
  current = value;
  localStorage.setItem(STORAGE_KEY, value);
  document.documentElement.lang = value;
}

export function hasText(key) {
  return key in TEXTS[current];
}

/** The text for `key` in the current language, with `{name}` placeholders filled in. */
export function t(key, params = {}) {
  const template = TEXTS[current][key] ?? TEXTS.en[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) =>
    name in params ? String(params[name]) : whole,
  );
}

/** An amount given as a decimal string ("1234.56"), formatted exactly (no float rounding:
 * Intl accepts decimal strings as they are). */
export function formatMoney(amount, currency) {
  try {
    return new Intl.NumberFormat(locale(), { style: "currency", currency }).format(amount);
  } catch {
    return `${amount} ${currency}`;
  }
}

function asDate(value) {
  // A plain ISO date is a calendar day, not midnight UTC: read it in local time.
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00`) : new Date(value);
}

export function formatDate(value) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium" }).format(asDate(value));
}

export function formatLongDate(value) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: "long" }).format(asDate(value));
}

export function formatTime(value) {
  return new Intl.DateTimeFormat(locale(), { timeStyle: "short" }).format(asDate(value));
}

/** A time for a list: today's as a clock time, older ones as a short date. */
export function formatWhen(value) {
  const date = asDate(value);
  const now = new Date();
  if (date.toDateString() === now.toDateString()) return formatTime(value);
  return new Intl.DateTimeFormat(locale(), { day: "numeric", month: "short" }).format(date);
}

document.documentElement.lang = current;
