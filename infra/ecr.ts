/**
 * One ECR repository per service image: scanned on push, immutable tags (a tag names one build forever),
 * KMS encryption, and a lifecycle policy that keeps the newest images only. Force-delete only in staging.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface RepositoriesArgs {
    namePrefix: string;
    names: string[];
    keepImages: number;
    forceDelete: boolean;
}

/** Expire every image beyond the newest `keep` (tagged or not). */
export function lifecyclePolicy(keep: number): string {
    return JSON.stringify({
        rules: [
            {
                rulePriority: 1,
                description: `Keep the newest ${keep} images`,
                selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keep },
                action: { type: "expire" },
            },
        ],
    });
}

export class Repositories extends pulumi.ComponentResource {
    /** Service name -> repository URL. */
    readonly urls: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: RepositoriesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:infra:Repositories", name, {}, opts);
        const repos = args.names.map((service) => {
            const repo = new aws.ecr.Repository(
                `${name}-${service}`,
                {
                    name: `${args.namePrefix}/${service}`,
                    imageTagMutability: "IMMUTABLE",
                    imageScanningConfiguration: { scanOnPush: true },
                    encryptionConfigurations: [{ encryptionType: "KMS" }],
                    forceDelete: args.forceDelete,
                },
                { parent: this },
            );
            new aws.ecr.LifecyclePolicy(`${name}-${service}`, { repository: repo.name, policy: lifecyclePolicy(args.keepImages) }, { parent: this });
            return [service, repo] as const;
        });
        this.urls = pulumi.output(Object.fromEntries(repos.map(([service, repo]) => [service, repo.repositoryUrl])));
        this.registerOutputs({ urls: this.urls });
    }
}
