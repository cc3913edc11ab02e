/**
 * The README's tables of the documented exceptions and of the Checkov rules, rendered from their one source
 * (exceptions.ts, rules.ts) by `npm run readme`. Not part of the pack: only the README generator imports it.
 */
import { EXCEPTIONS } from "./exceptions";
import { CHECKOV_RULES } from "./rules";

const code = (s: string) => `\`${s}\``;

/** Every documented exception with the policy that reads it. */
export function documentedExceptions() {
    return Object.entries(EXCEPTIONS).flatMap(([policy, list]) => list.map((e) => ({ policy, ...e })));
}

export function exceptionTable(): string {
    const rows = documentedExceptions().map((e) => `| ${code(e.id)} | ${code(e.policy)} | ${e.rule} | ${e.match.map(code).join(", ")} | ${e.reason} |`);
    return ["| exception | policy | rule | covers | why |", "|---|---|---|---|---|", ...rows].join("\n");
}

export function ruleTable(): string {
    const documented = documentedExceptions();
    const rows = CHECKOV_RULES.map((r) => {
        const held = r.policy ? code(r.policy) : r.settings ? `settings: ${r.settings}` : `not adopted: ${r.notAdopted}`;
        const exceptions = documented.filter((e) => e.rule === r.id).map((e) => code(e.id)).join(", ");
        return `| ${r.area} | ${r.id} | ${r.title} | ${held} | ${exceptions} |`;
    });
    return ["| area | Checkov rule | what it asks | held by | documented exception |", "|---|---|---|---|---|", ...rows].join("\n");
}
