// The signed-out screen: log in or sign up, with the language switch.

import { post } from "./api.js";
import { h, clear } from "./dom.js";
import { t, language } from "./i18n.js";
import { errorText, languageSwitch, logo } from "./ui.js";

export function renderAuth(root, app, { mode = "login", notice = null } = {}) {
  const isSignup = mode === "signup";
  const error = h("p", { class: "form-error", role: "alert", hidden: true });

  const fields = isSignup
    ? [
        field("name", t("auth.name"), { type: "text", autocomplete: "name", required: true }),
        field("email", t("auth.email"), { type: "email", autocomplete: "email", required: true }),
        field("password", t("auth.password"), {
          type: "password",
          autocomplete: "new-password",
          required: true,
          minlength: 10,
          "aria-describedby": "password-hint",
        }),
        h("p", { class: "hint", id: "password-hint" }, t("auth.passwordHint")),
      ]
    : [
        field("email", t("auth.email"), { type: "email", autocomplete: "email", required: true }),
        field("password", t("auth.password"), {
          type: "password",
          autocomplete: "current-password",
          required: true,
        }),
      ];

  const submit = h(
    "button",
    { type: "submit", class: "primary wide" },
    isSignup ? t("auth.submitSignup") : t("auth.submitLogin"),
  );

  const form = h(
    "form",
    {
      class: "auth-form",
      "aria-label": isSignup ? t("auth.signup") : t("auth.login"),
      onsubmit: async (event) => {
        event.preventDefault();
        const values = Object.fromEntries(new FormData(form));
        error.hidden = true;
        submit.disabled = true;
        try {
          const session = isSignup
            ? await post("/auth/signup", {
                email: values.email,
                displayName: values.name,
                password: values.password,
                language: language(),
              })
            : await post("/auth/login", { email: values.email, password: values.password });
          await app.signedIn(session);
        } catch (failure) {
          error.textContent = errorText(failure);
          error.hidden = false;
          submit.disabled = false;
        }
      },
    },
    fields,
    error,
    submit,
  );

  const switcher = h(
    "button",
    {
      type: "button",
      class: "link-button",
      onclick: () => renderAuth(root, app, { mode: isSignup ? "login" : "signup" }),
    },
    isSignup ? t("auth.haveAccount") : t("auth.noAccount"),
  );

  clear(
    root,
    h(
      "div",
      { class: "auth" },
      h(
        "section",
        { class: "auth-card", "aria-labelledby": "auth-title" },
        h(
          "div",
          { class: "auth-top" },
          logo(),
          languageSwitch(app, () => renderAuth(root, app, { mode })),
        ),
        h("p", { class: "tagline" }, t("app.tagline")),
        h("p", { class: "try-this" }, t("auth.tryThis")),
        notice ? h("p", { class: "banner", role: "status" }, notice) : null,
        h("h1", { id: "auth-title" }, isSignup ? t("auth.signup") : t("auth.login")),
        form,
        switcher,
        h("p", { class: "promise" }, t("auth.privacyPromise")),
      ),
    ),
  );
  form.querySelector("input")?.focus();
}

function field(name, label, attributes) {
  const id = `field-${name}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    h("input", { id, name, ...attributes }),
  );
}
