/**
 * A secret the platform generates itself (@pulumi/random) and keeps in AWS Secrets Manager under the
 * environment's prefix; pods receive it through an ExternalSecret, never through Helm values.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

export interface GeneratedSecretArgs {
    /** Full Secrets Manager name (`<namePrefix>/...`). */
    secretName: pulumi.Input<string>;
    description: string;
    length: number;
    /** Punctuation in the value (off for values pasted into other systems, e.g. webhook settings). */
    special: boolean;
    /** Store the value as a JSON object `{ [jsonKey]: value, ...extra }` instead of a plain string. */
    jsonKey?: string;
    extra?: Record<string, string>;
    /** Days Secrets Manager keeps a deleted secret (0 deletes at once, so a stack can be recreated). */
    recoveryWindowInDays: number;
    /** The customer-managed KMS key that encrypts the value. */
    kmsKeyId: pulumi.Input<string>;
    protect: boolean;
}

export class GeneratedSecret extends pulumi.ComponentResource {
    readonly secretName: pulumi.Output<string>;
    readonly secretArn: pulumi.Output<string>;

    constructor(name: string, args: GeneratedSecretArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:GeneratedSecret", name, {}, opts);
        const value = new random.RandomPassword(name, { length: args.length, special: args.special }, { parent: this });
        const secret = new aws.secretsmanager.Secret(
            name,
            { name: args.secretName, description: args.description, recoveryWindowInDays: args.recoveryWindowInDays, kmsKeyId: args.kmsKeyId },
            { parent: this, protect: args.protect },
        );
        const secretString = args.jsonKey === undefined ? value.result : pulumi.jsonStringify({ ...(args.extra ?? {}), [args.jsonKey]: value.result });
        new aws.secretsmanager.SecretVersion(name, { secretId: secret.id, secretString: pulumi.secret(secretString) }, { parent: this });
        this.secretName = secret.name;
        this.secretArn = secret.arn;
        this.registerOutputs({ secretName: this.secretName, secretArn: this.secretArn });
    }
}
