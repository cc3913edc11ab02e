/**
 * The evaluator the CI permission tests rely on, against the evaluation rules AWS documents (IAM User Guide:
 * "Condition operators", "Policy evaluation logic", "Permissions boundaries").
 */
import * as assert from "assert";
import { ALLOW_ALL, evaluate, PolicyDocument } from "./iam-simulator";

const denyWhen = (Condition: any): PolicyDocument => ({ Statement: [{ Effect: "Deny", Action: "*", Resource: "*", Condition }] });
const allowAll = (extra: PolicyDocument) => [ALLOW_ALL, extra];
const request = (context?: Record<string, string | string[]>) => ({ action: "ec2:TerminateInstances", resource: "arn:aws:ec2:us-east-1:123456789012:instance/i-1", context });

describe("iam-simulator (the tests' IAM evaluator)", () => {
    it("a negated operator, IfExists or not, is true when the key is missing (so such a Deny denies untagged requests)", () => {
        for (const operator of ["StringNotEquals", "StringNotEqualsIfExists"]) {
            assert.strictEqual(evaluate(allowAll(denyWhen({ [operator]: { "aws:ResourceTag/Environment": "staging" } })), request()), "explicitly denied", operator);
        }
    });

    it("Null=false limits a Deny to requests that carry the key", () => {
        const policy = denyWhen({ StringNotEquals: { "aws:ResourceTag/Environment": "staging" }, Null: { "aws:ResourceTag/Environment": "false" } });
        assert.strictEqual(evaluate(allowAll(policy), request()), "allowed");
        assert.strictEqual(evaluate(allowAll(policy), request({ "aws:ResourceTag/Environment": "staging" })), "allowed");
        assert.strictEqual(evaluate(allowAll(policy), request({ "aws:ResourceTag/Environment": "production" })), "explicitly denied");
    });

    it("a positive operator is false on a missing key unless IfExists", () => {
        const allow = (operator: string): PolicyDocument => ({ Statement: [{ Effect: "Allow", Action: "ec2:*", Resource: "*", Condition: { [operator]: { "ec2:InstanceType": "t3.*" } } }] });
        assert.strictEqual(evaluate([allow("StringLike")], request()), "implicitly denied");
        assert.strictEqual(evaluate([allow("StringLikeIfExists")], request()), "allowed");
        assert.strictEqual(evaluate([allow("StringLike")], request({ "ec2:InstanceType": "t3.small" })), "allowed");
    });

    it("ForAllValues holds for no values, ForAnyValue needs one", () => {
        const allow = (operator: string): PolicyDocument => ({ Statement: [{ Effect: "Allow", Action: "*", Resource: "*", Condition: { [operator]: { "aws:TagKeys": ["Environment"] } } }] });
        assert.strictEqual(evaluate([allow("ForAllValues:StringNotEquals")], request()), "allowed");
        assert.strictEqual(evaluate([allow("ForAllValues:StringNotEquals")], request({ "aws:TagKeys": ["Team", "Environment"] })), "implicitly denied");
        assert.strictEqual(evaluate([allow("ForAnyValue:StringEquals")], request()), "implicitly denied");
        assert.strictEqual(evaluate([allow("ForAnyValue:StringEquals")], request({ "aws:TagKeys": ["Team", "Environment"] })), "allowed");
    });

    it("a boundary caps what the identity policies allow, and its Deny wins", () => {
        const boundary: PolicyDocument = { Statement: [{ Effect: "Allow", Action: "ec2:*", Resource: "*" }, { Effect: "Deny", Action: "ec2:TerminateInstances", Resource: "*" }] };
        assert.strictEqual(evaluate([ALLOW_ALL], { action: "ec2:DescribeInstances", resource: "*" }, boundary), "allowed");
        assert.strictEqual(evaluate([ALLOW_ALL], { action: "s3:GetObject", resource: "*" }, boundary), "implicitly denied");
        assert.strictEqual(evaluate([ALLOW_ALL], request(), boundary), "explicitly denied");
        assert.strictEqual(evaluate([], { action: "ec2:DescribeInstances", resource: "*" }, boundary), "implicitly denied", "a boundary grants nothing");
    });

    it("matches actions case-insensitively with wildcards, resources exactly, and NotAction", () => {
        const policy: PolicyDocument = { Statement: [{ Effect: "Allow", NotAction: "iam:*", Resource: "arn:aws:s3:::bucket/*" }] };
        assert.strictEqual(evaluate([policy], { action: "S3:GetObject", resource: "arn:aws:s3:::bucket/key" }), "allowed");
        assert.strictEqual(evaluate([policy], { action: "iam:GetRole", resource: "arn:aws:s3:::bucket/key" }), "implicitly denied");
        assert.strictEqual(evaluate([policy], { action: "s3:GetObject", resource: "arn:aws:s3:::other/key" }), "implicitly denied");
        assert.strictEqual(evaluate([policy], { action: "s3:ListAllMyBuckets", resource: "*" }), "implicitly denied", "a specific ARN does not match a request on *");
    });

    it("refuses operators it has no semantics for", () => {
        assert.throws(() => evaluate([denyWhen({ NumericLessThan: { "aws:MultiFactorAuthAge": "3600" } })], request({ "aws:MultiFactorAuthAge": "10" })), /NumericLessThan has no semantics here/);
    });
});
