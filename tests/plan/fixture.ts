/**
 * What the plan's specs share: the plan of each environment with its committed settings (made once per process),
 * and temporary git checkouts of this working tree, so a test can commit changes and plan them against a base
 * without touching this repository.
 */
import * as fs from "fs";
import * as path from "path";
import { plan, PlanResult } from "../../tools/plan";
import { scratchRepository } from "../../tools/plan-samples";

const plans = new Map<string, Promise<PlanResult>>();

/** The plan of an environment with the committed settings, shared by the specs. */
export function committedPlan(env: "staging" | "production"): Promise<PlanResult> {
    if (!plans.has(env)) plans.set(env, plan({ env }));
    return plans.get(env)!;
}

export interface TempCheckout {
    root: string;
    /** Runs git in it (as a test identity); returns stdout. */
    git(...args: string[]): string;
    /** Replaces `from` by `to` in a file (which must contain it) and commits the change. */
    commitEdit(file: string, from: string, to: string, message: string): void;
    remove(): void;
}

/** A git repository holding this working tree's files in one commit, the engine's node_modules linked (tools/plan-samples.ts). */
export function tempCheckout(): TempCheckout {
    const repo = scratchRepository();
    return {
        ...repo,
        commitEdit(file, from, to, message) {
            const target = path.join(repo.root, file);
            const text = fs.readFileSync(target, "utf8");
            if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}`);
            fs.writeFileSync(target, text.replace(from, to));
            repo.git("commit", "-q", "-am", message);
        },
    };
}

/** This process's environment without npm's settings, for a child npm that must not inherit them (npm test -s would silence it). */
export function withoutNpmSettings(): NodeJS.ProcessEnv {
    return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}
