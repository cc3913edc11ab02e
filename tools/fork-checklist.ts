/**
 * The fork checklist as warnings: the committed settings hold the template's placeholders, valid (so previews
 * and the plan run) but wrong for anyone's deployment. The plan lists each that is still there, with the key
 * and what to set (README: Deploying, fork checklist).
 */
import { loadInfraSettings, TEMPLATE_GITHUB_REPOSITORY } from "../infra/settings";
import { overlaps, parseCidr } from "../lib/cidr";
import { Environment } from "../lib/environment";
import { SettingsSource } from "../lib/settings";
import { loadPlatformSettings } from "../platform/settings";

/** The IPv4 ranges reserved for documentation (RFC 5737): nobody connects from them. */
export const DOCUMENTATION_CIDRS = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];

const PREFIX = "fork checklist: ";

/** The placeholders still in an environment's settings, as warnings. Settings that do not validate are the layers' to report. */
export function forkChecklist(env: Environment, source: SettingsSource, today: string): string[] {
    const warnings: string[] = [];
    const infra = attempt(() => loadInfraSettings(env, { source, today, dryRun: true }));
    if (infra) {
        if (infra.githubRepository === TEMPLATE_GITHUB_REPOSITORY) {
            warnings.push(`infra:githubRepository is the template's placeholder ${TEMPLATE_GITHUB_REPOSITORY}: CI's roles would trust that repository, and \`pulumi up\` refuses it; set your repository (owner/name)`);
        }
        const documentation = infra.endpointPublicAccessCidrs.filter((c) => DOCUMENTATION_CIDRS.some((d) => overlaps(parseCidr(c)!, parseCidr(d)!)));
        if (documentation.length > 0) {
            warnings.push(`infra:endpointPublicAccessCidrs holds ${documentation.join(", ")}, reserved for documentation (RFC 5737): nobody reaches the Kubernetes API from there; set the CIDRs you and your CI runners connect from, or [] to turn the public endpoint off`);
        }
        if (infra.adminPrincipalArns.length === 0) {
            warnings.push("infra:adminPrincipalArns is empty: no person administers the cluster (only CI's deploy role can); add your administrators' IAM role ARNs");
        }
    }
    const platform = attempt(() => loadPlatformSettings(env, { source }));
    if (platform) {
        if (platform.alarmEmail === undefined && platform.alarmPagerDutyUrlSecret === undefined) {
            warnings.push("the CloudWatch alarms have no receiver (platform:alarmEmail, platform:alarmPagerDutyUrlSecret): a node or pod failure reaches nobody");
        }
        if (platform.alertmanagerPagerDutySecret === undefined) {
            warnings.push("Alertmanager has no receiver (platform:alertmanagerPagerDutySecret): Prometheus' critical alerts reach nobody");
        }
    }
    return warnings.map((w) => PREFIX + w);
}

function attempt<T>(load: () => T): T | undefined {
    try {
        return load();
    } catch {
        return undefined;
    }
}
