/**
 * One ECR repository per service image: scanned on push, immutable tags (a tag names one build forever),
 * KMS encryption, and a lifecycle policy that keeps the newest images only. Force-delete only in staging.
 * When the environment that promotes these images (production) is in another account, each repository's policy lets
 * that environment's deploy role read its images, and nothing else (in one account its own policy grants them).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { deployRoleArn, PROMOTION_READS } from "./identity";
import { PromotionPeer } from "./settings";

export interface RepositoriesArgs {
    namePrefix: string;
    names: string[];
    keepImages: number;
    forceDelete: boolean;
    /** Who promotes these images (staging: production); a repository policy only when it is in another account. */
    promotionTarget?: PromotionPeer;
}

/**
 * The repository policy of a promotion source in another account: that account's deploy role of the promoting
 * environment may read images. The principal is the account with a condition on the role's ARN, so the policy does
 * not need the role to exist yet (ECR refuses a policy naming a role that does not).
 */
export function promotionReadPolicy(target: Required<PromotionPeer>): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "PromotionReads",
                Effect: "Allow",
                Principal: { AWS: `arn:aws:iam::${target.accountId}:root` },
                Action: PROMOTION_READS,
                Condition: { ArnEquals: { "aws:PrincipalArn": deployRoleArn(target.accountId, target.namePrefix) } },
            },
        ],
    });
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
            const target = args.promotionTarget;
            if (target?.accountId !== undefined) {
                new aws.ecr.RepositoryPolicy(`${name}-${service}`, { repository: repo.name, policy: promotionReadPolicy({ accountId: target.accountId, namePrefix: target.namePrefix }) }, { parent: this });
            }
            return [service, repo] as const;
        });
        this.urls = pulumi.output(Object.fromEntries(repos.map(([service, repo]) => [service, repo.repositoryUrl])));
        this.registerOutputs({ urls: this.urls });
    }
}
