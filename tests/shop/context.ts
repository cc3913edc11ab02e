// What tests/shop/run.ts hands to the end-to-end suite it loads into mocha: the running shop.
import { Stack } from "../../tools/shop-stack";

export const shop: { stack?: Stack } = {};
