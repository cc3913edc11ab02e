/**
 * The credentials of MySQL and Redis and the services' session signing key, generated here and stored in AWS
 * Secrets Manager as `<secretsPrefix><id>` (`gitops-staging/apps/mysql`: platform's secretsPrefix is the workloads'
 * part of the environment's secrets); the workloads' ExternalSecrets name them by id alone (`mysql`), the workloads'
 * ClusterSecretStore adds the prefix and may read nothing outside it. Nothing secret is in Git or in the settings
 * files. The JSON keys are the environment variable names the containers use.
 *
 * MySQL sets its passwords when it initialises its volume only: a regenerated password would no longer match the
 * database. So the passwords are protected in production, and nothing here changes them after creation. The session
 * key may be replaced at any time (`pulumi up --replace` of its RandomPassword): that only signs everybody out.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { DATABASE_NAME, DATABASE_USER, GeneratedSecret } from "../lib/catalogue";

export interface WorkloadCredentialsArgs {
    /** platform's secretsPrefix, e.g. `gitops-staging/apps/`: the workloads' ClusterSecretStore may read only names under it. */
    secretsPrefix: pulumi.Input<string>;
    secrets: readonly GeneratedSecret[];
    /** The customer-managed KMS key that encrypts them (infra's logsAndSecretsKeyArn). */
    kmsKeyId: pulumi.Input<string>;
    /** Protect the passwords and secrets, and keep a deleted secret recoverable for 30 days. */
    protect: boolean;
}

/** Letters and digits only: safe in connection strings, shells and probes. 32 characters are about 190 bits. */
const PASSWORD = { length: 32, special: false, minLower: 1, minUpper: 1, minNumeric: 1 };
/** The HMAC-SHA256 key of the session tokens: 64 letters and digits, about 380 bits (more than the hash's 256). */
const SIGNING_KEY = { ...PASSWORD, length: 64 };

export class WorkloadCredentials extends pulumi.ComponentResource {
    /** The secret values; Applications wait for them so their ExternalSecrets find something to read. */
    readonly versions: Partial<Record<GeneratedSecret, aws.secretsmanager.SecretVersion>> = {};

    constructor(name: string, args: WorkloadCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:apps:WorkloadCredentials", name, {}, opts);
        const protect = args.protect;
        const password = (id: string, shape = PASSWORD) => new random.RandomPassword(`${name}-${id}`, shape, { parent: this, protect }).result;

        const values: Record<GeneratedSecret, () => Record<string, pulumi.Input<string>>> = {
            mysql: () => ({
                MYSQL_ROOT_PASSWORD: password("mysql-root"),
                MYSQL_USER: DATABASE_USER,
                MYSQL_PASSWORD: password("mysql-user"),
                MYSQL_DATABASE: DATABASE_NAME,
            }),
            redis: () => ({ REDIS_PASSWORD: password("redis") }),
            session: () => ({ SESSION_KEY: password("session-key", SIGNING_KEY) }),
        };

        for (const id of args.secrets) {
            const secret = new aws.secretsmanager.Secret(
                `${name}-${id}`,
                {
                    name: pulumi.interpolate`${args.secretsPrefix}${id}`,
                    description: `Generated ${id} ${id === "session" ? "signing key" : "credentials"} of the workloads (read by External Secrets). Managed by the apps stack.`,
                    // 0 deletes at once, so a destroyed staging can be recreated with the same names.
                    recoveryWindowInDays: protect ? 30 : 0,
                    kmsKeyId: args.kmsKeyId,
                },
                { parent: this, protect },
            );
            this.versions[id] = new aws.secretsmanager.SecretVersion(
                `${name}-${id}`,
                { secretId: secret.id, secretString: pulumi.jsonStringify(values[id]()) },
                { parent: this },
            );
        }
        this.registerOutputs({});
    }
}
