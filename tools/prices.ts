/**
 * The price tables of the offline plan's cost estimate: one per region, on-demand list prices in USD
 * (PRICE_TABLES; the estimate uses the table of the environment's aws:region).
 * Source: the AWS public price list for us-east-1 (EC2 on-demand Linux, EKS, VPC NAT gateway and public IPv4,
 * Elastic Load Balancing, EBS, CloudWatch, KMS, Secrets Manager, ECR, WAF), as published when checked.
 * Checked: 2026-11. Only us-east-1's figures were checked: a region without a table is estimated with
 * us-east-1's prices and the plan warns. To add one, copy the table with that region's figures (the model,
 * tools/cost.ts, stays as it is). Usage-based charges (data processed, log volume, image storage, requests) are
 * estimated from the stated assumptions below, which you should replace with your own traffic once you have it.
 */

export interface PriceTable {
    region: string;
    currency: string;
    checked: string;
    source: string;
    hoursPerMonth: number;
    hourly: {
        eksControlPlane: number;
        natGateway: number;
        publicIpv4: number;
        applicationLoadBalancer: number;
        albLcu: number;
        /** CPU credits a burstable node in unlimited mode spends above its baseline, per vCPU-hour. */
        burstableSurplusVcpu: number;
    };
    /**
     * On-demand Linux price per hour of each instance type (a type without one is left out of the total, with a
     * warning). t8i.micro and t8i.small are allowed (free-tier eligible) but have no figure: no list price of theirs
     * could be checked against a public source yet; add them here once one is.
     */
    ec2Hourly: Record<string, number>;
    monthly: {
        ebsGp3PerGiB: number;
        cloudwatchLogsIngestionPerGiB: number;
        cloudwatchLogsStoragePerGiB: number;
        cloudwatchAlarm: number;
        kmsKey: number;
        secretsManagerSecret: number;
        ecrStoragePerGiB: number;
        natDataProcessedPerGiB: number;
        wafWebAcl: number;
        wafRule: number;
        wafPerMillionRequests: number;
        s3StandardPerGiB: number;
    };
    assumptions: {
        controlPlaneLogsGiB: number;
        vpcFlowLogsGiB: number;
        containerLogsGiBPerNode: number;
        /** Container Insights performance events (EMF), host and data-plane logs. */
        insightsLogsGiBPerNode: number;
        /** Any other log group the program creates. */
        otherLogGroupGiB: number;
        /** Size of one WAF request log record (the requests are alb.requestsMillions). */
        wafLogKiBPerRequest: number;
        nat: { dataProcessedGiB: number };
        alb: { lcu: number; requestsMillions: number };
        ecr: { imageGiB: number };
        albAccessLogsGiB: number;
    };
}
/** us-east-1 (N. Virginia). */
export const PRICES: PriceTable = {
    region: "us-east-1",
    currency: "USD",
    checked: "2026-11",
    source: "AWS public price list, on-demand, us-east-1",
    hoursPerMonth: 730,
    hourly: {
        eksControlPlane: 0.1,
        natGateway: 0.045,
        publicIpv4: 0.005,
        applicationLoadBalancer: 0.0225,
        albLcu: 0.008,
        burstableSurplusVcpu: 0.05,
    },
    ec2Hourly: {
        "t3.micro": 0.0104,
        "t3.small": 0.0208,
        "t3.medium": 0.0416,
        "t3.large": 0.0832,
        "t4g.micro": 0.0084,
        "t4g.small": 0.0168,
        "t4g.medium": 0.0336,
        "c7i-flex.large": 0.08479,
        "m7i-flex.large": 0.09576,
    },
    monthly: {
        ebsGp3PerGiB: 0.08,
        cloudwatchLogsIngestionPerGiB: 0.5,
        cloudwatchLogsStoragePerGiB: 0.03,
        cloudwatchAlarm: 0.1,
        kmsKey: 1.0,
        secretsManagerSecret: 0.4,
        ecrStoragePerGiB: 0.1,
        natDataProcessedPerGiB: 0.045,
        wafWebAcl: 5.0,
        wafRule: 1.0,
        wafPerMillionRequests: 0.6,
        s3StandardPerGiB: 0.023,
    },
    /** Usage the model cannot see in the program: replace with your own figures. */
    assumptions: {
        /** Log volume ingested per month (each month's volume is also stored for the month). */
        controlPlaneLogsGiB: 5,
        vpcFlowLogsGiB: 3,
        containerLogsGiBPerNode: 2,
        insightsLogsGiBPerNode: 1,
        otherLogGroupGiB: 0.5,
        // A WAF log record is about 1.5 KB (request line, headers, matched rules).
        wafLogKiBPerRequest: 1.5,
        nat: { dataProcessedGiB: 20 },
        alb: { lcu: 1, requestsMillions: 1 },
        ecr: { imageGiB: 0.2 },
        albAccessLogsGiB: 1,
    },
};

/** The regions whose prices the table holds, by region name. */
export const PRICE_TABLES: Record<string, PriceTable> = { [PRICES.region]: PRICES };

/** The table of a region; a region without one gets us-east-1's, and `known` says so. */
export function pricesFor(region: string | undefined): { prices: PriceTable; known: boolean } {
    const table = region === undefined ? undefined : PRICE_TABLES[region];
    return table ? { prices: table, known: true } : { prices: PRICES, known: region === undefined };
}
