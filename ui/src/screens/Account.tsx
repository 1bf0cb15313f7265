// Sign in / register (email + password, phone one-time code, "Continue with …"), and once
// signed in the account: name, email / phone, organizations with roles, sign out. Settings
// (language, Arabic-Indic digits) are shown either way.
//
// Test hooks: #tab-email, #tab-phone, #tab-oidc; #signin-email, #signin-password,
// #signin-name (register only), #signin-mode (switch sign in ↔ register), #signin-submit,
// #signin-error[data-code]; #phone-number, #phone-send, #phone-code, #phone-verify;
// .oidc-button[data-provider], #oidc-none, #oidc-waiting, #oidc-error[data-code];
// #account[data-user-id], #account-name, #account-email, #account-phone,
// .membership[data-organization-id][data-role], #signout; #settings-lang,
// #settings-arabic-digits.
import { useState } from "preact/hooks";
import type { ErrorBody } from "../bindings/ErrorBody";
import type { Lang } from "../bindings/Lang";
import { ErrorBox, Loading, Note } from "../components/Status";
import { useApp } from "../context";
import { useAction, useListen, useLoad } from "../hooks";
import { pick, t, tParts } from "../i18n";
import {
  oidcProviders,
  onSignInFailed,
  register,
  sendPhoneCode,
  signInWithPassword,
  signOut,
  startOidcSignIn,
  verifyPhoneCode,
} from "../ipc";
import { toLatinDigits } from "../format";

export function Account() {
  const { session } = useApp();
  return (
    <section class="account-screen">
      {session ? <SignedIn /> : <SignIn />}
      <Settings />
    </section>
  );
}

function SignedIn() {
  const app = useApp();
  const session = app.session!;
  const [out, runOut] = useAction(async () => {
    await signOut();
    app.setSession(null);
  });
  return (
    <div class="card" id="account" data-user-id={session.user_id}>
      <h2 id="account-name">{session.display_name}</h2>
      <dl class="facts">
        {session.email && (
          <>
            <dt>{t("account-email")}</dt>
            <dd id="account-email" dir="ltr">
              {session.email}
            </dd>
          </>
        )}
        {session.phone && (
          <>
            <dt>{t("account-phone")}</dt>
            <dd id="account-phone" dir="ltr">
              {session.phone}
            </dd>
          </>
        )}
        {session.is_admin && (
          <>
            <dt>{t("account-platform")}</dt>
            <dd id="account-admin">{t("account-is-admin")}</dd>
          </>
        )}
      </dl>
      <h3>{t("account-organizations")}</h3>
      {session.organizations.length === 0 ? (
        <p class="muted">{t("account-no-organizations")}</p>
      ) : (
        <ul class="memberships">
          {session.organizations.map((m) => (
            <li class="membership" data-organization-id={m.organization_id} data-role={m.role} key={m.organization_id}>
              <span>{pick(m.name, app.lang)}</span> <span class="chip">{t(`role-${m.role}`)}</span>
            </li>
          ))}
        </ul>
      )}
      <button type="button" id="signout" class="secondary" onClick={() => runOut()} disabled={out.state === "running"}>
        {t("account-sign-out")}
      </button>
      {out.state === "failed" && <ErrorBox error={out.error} onRetry={() => runOut()} />}
    </div>
  );
}

type Tab = "email" | "phone" | "oidc";

function SignIn() {
  const [tab, setTab] = useState<Tab>("email");
  const tabButton = (id: Tab, label: string) => (
    <button
      type="button"
      role="tab"
      id={`tab-${id}`}
      aria-selected={tab === id}
      aria-controls={`panel-${id}`}
      class="tab"
      onClick={() => setTab(id)}
    >
      {label}
    </button>
  );
  return (
    <div class="card signin">
      <h2>{t("signin-heading")}</h2>
      <div class="tabs" role="tablist">
        {tabButton("email", t("signin-tab-email"))}
        {tabButton("phone", t("signin-tab-phone"))}
        {tabButton("oidc", t("signin-tab-oidc"))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === "email" && <EmailForm />}
        {tab === "phone" && <PhoneForm />}
        {tab === "oidc" && <OidcButtons />}
      </div>
    </div>
  );
}

function EmailForm() {
  const app = useApp();
  const [mode, setMode] = useState<"signin" | "register">("signin");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const [action, run] = useAction(async () => {
    const s = mode === "signin" ? await signInWithPassword(email.trim(), password) : await register(email.trim(), password, name.trim());
    app.setSession(s);
    return s;
  });
  return (
    <form
      class="form"
      id="signin-form"
      data-mode={mode}
      onSubmit={(e) => {
        e.preventDefault();
        void run();
      }}
    >
      {mode === "register" && (
        <div class="field">
          <label for="signin-name">{t("signin-name")}</label>
          <input id="signin-name" autoComplete="name" value={name} required onInput={(e) => setName(e.currentTarget.value)} />
        </div>
      )}
      <div class="field">
        <label for="signin-email">{t("signin-email")}</label>
        <input
          id="signin-email"
          type="email"
          dir="ltr"
          autoComplete="email"
          required
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for="signin-password">{t("signin-password")}</label>
        <input
          id="signin-password"
          type="password"
          dir="ltr"
          autoComplete={mode === "signin" ? "current-password" : "new-password"}
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        {mode === "register" && <p class="hint">{t("signin-password-hint")}</p>}
      </div>
      <div class="actions">
        <button type="submit" id="signin-submit" class="primary" disabled={action.state === "running"}>
          {action.state === "running" ? t("common-working") : mode === "signin" ? t("signin-submit") : t("signin-register")}
        </button>
        <button type="button" id="signin-mode" class="link-button" onClick={() => setMode(mode === "signin" ? "register" : "signin")}>
          {mode === "signin" ? t("signin-to-register") : t("signin-to-signin")}
        </button>
      </div>
      {action.state === "failed" && <ErrorBox id="signin-error" error={action.error} />}
    </form>
  );
}

function PhoneForm() {
  const app = useApp();
  const [phone, setPhone] = useState("");
  const [code, setCode] = useState("");
  const [sent, setSent] = useState(false);
  const [send, runSend] = useAction(async () => {
    await sendPhoneCode(phone.trim());
    setSent(true);
  });
  const [verify, runVerify] = useAction(async () => {
    const s = await verifyPhoneCode(phone.trim(), toLatinDigits(code));
    app.setSession(s);
  });
  return (
    <div class="form">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void runSend();
        }}
      >
        <div class="field">
          <label for="phone-number">{t("signin-phone")}</label>
          <input
            id="phone-number"
            type="tel"
            dir="ltr"
            autoComplete="tel"
            placeholder="079 123 4567"
            required
            value={phone}
            onInput={(e) => setPhone(e.currentTarget.value)}
          />
        </div>
        <button type="submit" id="phone-send" disabled={send.state === "running"}>
          {sent ? t("signin-phone-resend") : t("signin-phone-send")}
        </button>
        {send.state === "failed" && <ErrorBox error={send.error} />}
      </form>
      {sent && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void runVerify();
          }}
        >
          <Note>
            {tParts("signin-phone-sent", { phone: phone.trim() }, ["phone"]).map((p, i) =>
              p.ltr ? (
                <bdi dir="ltr" key={i}>
                  {p.text}
                </bdi>
              ) : (
                p.text
              ),
            )}
          </Note>
          <div class="field">
            <label for="phone-code">{t("signin-phone-code")}</label>
            <input
              id="phone-code"
              class="otp"
              inputMode="numeric"
              autoComplete="one-time-code"
              dir="ltr"
              maxLength={6}
              pattern="[0-9\u0660-\u0669]{6}"
              required
              value={code}
              onInput={(e) => setCode(e.currentTarget.value.replace(/[^0-9\u0660-\u0669]/g, "").slice(0, 6))}
            />
          </div>
          <button type="submit" id="phone-verify" class="primary" disabled={code.length !== 6 || verify.state === "running"}>
            {t("signin-phone-verify")}
          </button>
          {verify.state === "failed" && <ErrorBox error={verify.error} />}
        </form>
      )}
    </div>
  );
}

function OidcButtons() {
  const [action, run] = useAction(startOidcSignIn);
  const [provider, setProvider] = useState<string | null>(null);
  const [failed, setFailed] = useState<ErrorBody | null>(null);
  const [providers, reload] = useLoad(oidcProviders, []);
  useListen(onSignInFailed, setFailed);
  if (providers.state === "loading") return <Loading />;
  if (providers.state === "failed") return <ErrorBox error={providers.error} onRetry={reload} />;
  if (providers.value.length === 0) return <Note id="oidc-none">{t("signin-oidc-none")}</Note>;
  const label = (p: string) => {
    const known = t(`provider-${p}`);
    return known === `provider-${p}` ? p : known;
  };
  return (
    <div class="form oidc">
      {providers.value.map((p) => (
        <button
          type="button"
          class="oidc-button"
          data-provider={p}
          key={p}
          onClick={() => {
            setProvider(p);
            setFailed(null);
            void run(p);
          }}
        >
          {t("signin-continue-with", { provider: label(p) })}
        </button>
      ))}
      {action.state === "done" && !failed && <Note id="oidc-waiting">{t("signin-oidc-waiting")}</Note>}
      {failed && <ErrorBox id="oidc-error" error={failed} onRetry={() => provider && (setFailed(null), run(provider))} />}
      {action.state === "failed" && <ErrorBox error={action.error} onRetry={() => provider && run(provider)} />}
    </div>
  );
}

function Settings() {
  const app = useApp();
  return (
    <div class="card settings" id="settings">
      <h2>{t("settings-heading")}</h2>
      <div class="field">
        <label for="settings-lang">{t("settings-language")}</label>
        <select id="settings-lang" value={app.lang} onChange={(e) => app.setLang(e.currentTarget.value as Lang)}>
          <option value="ar" lang="ar">
            العربية
          </option>
          <option value="en" lang="en">
            English
          </option>
        </select>
      </div>
      <label class="checkbox" for="settings-arabic-digits">
        <input
          id="settings-arabic-digits"
          type="checkbox"
          checked={app.arabicDigits}
          onChange={(e) => app.setArabicDigits(e.currentTarget.checked)}
        />
        {t("settings-arabic-digits")}
      </label>
      <p class="hint">{t("settings-arabic-digits-hint")}</p>
      <p class="muted">{t("home-server", { url: app.info.server_url })}</p>
    </div>
  );
}
