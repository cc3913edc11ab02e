// Sign in, or create an account (and be signed in with it).
import { FormEvent, useState } from "react";
import { api, ApiError, Session } from "../api";

export function Account({ mode, onSignedIn }: { mode: "sign-in" | "register"; onSignedIn: (s: Session) => void }) {
    const [busy, setBusy] = useState(false);
    const [error, setError] = useState("");
    const registering = mode === "register";

    const submit = async (event: FormEvent<HTMLFormElement>) => {
        event.preventDefault();
        const form = new FormData(event.currentTarget);
        const field = (name: string) => String(form.get(name) ?? "");
        setBusy(true);
        setError("");
        try {
            const email = field("email").trim();
            if (registering) await api.register(field("name").trim(), email, field("password"));
            onSignedIn(await api.signIn(email, field("password")));
        } catch (e) {
            setError(e instanceof ApiError ? e.message : String(e));
        } finally {
            setBusy(false);
        }
    };

    return (
        <form className="account" onSubmit={(e) => void submit(e)} aria-describedby={error ? "account-error" : undefined}>
            {registering && (
                <label>
                    Name
                    <input name="name" autoComplete="name" required maxLength={100} />
                </label>
            )}
            <label>
                E-mail address
                <input name="email" type="email" autoComplete="email" inputMode="email" required maxLength={254} />
            </label>
            <label>
                Password
                <input
                    name="password"
                    type="password"
                    autoComplete={registering ? "new-password" : "current-password"}
                    required
                    minLength={registering ? 10 : undefined}
                    maxLength={128}
                    aria-describedby={registering ? "password-rule" : undefined}
                />
            </label>
            {registering && (
                <p id="password-rule" className="muted">
                    At least 10 characters.
                </p>
            )}
            {error && (
                <p id="account-error" className="notice error" role="alert">
                    {error}
                </p>
            )}
            <button type="submit" className="primary" disabled={busy}>
                {busy ? "Please wait…" : registering ? "Create account" : "Sign in"}
            </button>
            <p>
                {registering ? (
                    <>
                        Have an account? <a href="#/sign-in">Sign in</a>
                    </>
                ) : (
                    <>
                        New here? <a href="#/register">Create an account</a>
                    </>
                )}
            </p>
        </form>
    );
}
