/**
 * CloudWatch alarms on the Container Insights metrics of the cluster (the amazon-cloudwatch-observability add-on
 * of infra publishes them): node CPU and memory high, fewer nodes than the node groups' minimum, pods failing.
 * All of them notify one SNS topic (and say when they recover); an e-mail address and a PagerDuty CloudWatch
 * integration can subscribe from settings. The PagerDuty URL embeds its integration key, so it is read from
 * Secrets Manager at deployment, never from a settings file.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export const CONTAINER_INSIGHTS = "ContainerInsights";

export interface AlarmsArgs {
    namePrefix: pulumi.Input<string>;
    clusterName: pulumi.Input<string>;
    /** Nodes the node groups keep at least (infra nodeCountMinimum). */
    nodeCountMinimum: pulumi.Input<number>;
    email?: string;
    /** Full Secrets Manager name of a PagerDuty CloudWatch integration URL. */
    pagerDutyUrlSecretName?: pulumi.Input<string>;
}

interface AlarmSpec {
    key: string;
    description: string;
    metricName: string;
    statistic: "Average" | "Maximum" | "Minimum";
    comparisonOperator: string;
    threshold: pulumi.Input<number>;
    /** What no data means: a silent cluster is broken for the node count, and healthy for the others. */
    treatMissingData: "breaching" | "notBreaching";
}

export class Alarms extends pulumi.ComponentResource {
    readonly topicArn: pulumi.Output<string>;

    constructor(name: string, args: AlarmsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("gitops:platform:Alarms", name, {}, opts);
        const topic = new aws.sns.Topic(name, { name: pulumi.interpolate`${args.namePrefix}-alarms` }, { parent: this });
        this.topicArn = topic.arn;

        if (args.email !== undefined) {
            new aws.sns.TopicSubscription(`${name}-email`, { topic: topic.arn, protocol: "email", endpoint: args.email }, { parent: this });
        }
        if (args.pagerDutyUrlSecretName !== undefined) {
            const url = aws.secretsmanager.getSecretVersionOutput({ secretId: args.pagerDutyUrlSecretName }, { parent: this }).secretString;
            new aws.sns.TopicSubscription(
                `${name}-pagerduty`,
                { topic: topic.arn, protocol: "https", endpoint: pulumi.secret(url), endpointAutoConfirms: true },
                { parent: this },
            );
        }

        const specs: AlarmSpec[] = [
            { key: "node-cpu-high", description: "Average node CPU above 80 % for 15 minutes", metricName: "node_cpu_utilization", statistic: "Average", comparisonOperator: "GreaterThanThreshold", threshold: 80, treatMissingData: "notBreaching" },
            { key: "node-memory-high", description: "Average node memory above 80 % for 15 minutes", metricName: "node_memory_utilization", statistic: "Average", comparisonOperator: "GreaterThanThreshold", threshold: 80, treatMissingData: "notBreaching" },
            { key: "node-count-low", description: "Fewer nodes than the node groups' minimum for 15 minutes (or no metrics at all)", metricName: "cluster_node_count", statistic: "Minimum", comparisonOperator: "LessThanThreshold", threshold: args.nodeCountMinimum, treatMissingData: "breaching" },
            { key: "pods-failing", description: "Pods in the Failed phase for 15 minutes", metricName: "pod_status_failed", statistic: "Maximum", comparisonOperator: "GreaterThanThreshold", threshold: 0, treatMissingData: "notBreaching" },
        ];
        for (const spec of specs) {
            new aws.cloudwatch.MetricAlarm(
                `${name}-${spec.key}`,
                {
                    name: pulumi.interpolate`${args.namePrefix}-${spec.key}`,
                    alarmDescription: spec.description,
                    namespace: CONTAINER_INSIGHTS,
                    metricName: spec.metricName,
                    dimensions: { ClusterName: args.clusterName },
                    statistic: spec.statistic,
                    period: 300,
                    evaluationPeriods: 3,
                    datapointsToAlarm: 3,
                    comparisonOperator: spec.comparisonOperator,
                    threshold: spec.threshold,
                    treatMissingData: spec.treatMissingData,
                    alarmActions: [topic.arn],
                    okActions: [topic.arn],
                },
                { parent: this },
            );
        }
        this.registerOutputs({ topicArn: this.topicArn });
    }
}
