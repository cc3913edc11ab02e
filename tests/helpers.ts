/** Small helpers shared by the specs. */
import * as assert from "assert";
import { SettingsSource } from "../lib/settings";
import { REPO_ROOT } from "../lib/environment";
import { settingsFileSource } from "../lib/settings-file";

/** A settings source from an environment's settings file with overrides (undefined removes a key). */
export function settingsSource(env: string, overrides: Record<string, unknown> = {}): SettingsSource {
    return settingsFileSource(env, REPO_ROOT, overrides);
}

/** Asserts that `fn` throws a settings error naming the key, the value and what is allowed. */
export function assertSettingsError(fn: () => unknown, key: string, value: string, allowed: RegExp): Error {
    let error: Error | undefined;
    try {
        fn();
    } catch (e) {
        error = e as Error;
    }
    assert.ok(error, `expected a settings error for ${key}`);
    assertNamesSetting(error!, key, value, allowed);
    return error!;
}

export function assertNamesSetting(error: Error, key: string, value: string, allowed: RegExp): void {
    assert.strictEqual(error.name, "SettingsError", error.stack);
    const line = error.message.split("\n").find((l) => l.includes(`${key} = `));
    assert.ok(line, `message should name ${key}: ${error.message}`);
    assert.ok(line!.includes(value), `message should show the value ${value}: ${line}`);
    assert.match(line!, allowed);
}

/** Parses a JSON policy document. */
export function policyDocument(json: string): { Statement: any[] } {
    return JSON.parse(json);
}
